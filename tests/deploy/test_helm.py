"""The Helm chart renders with the Helm SDK for the default and the production values, and
every rendered manifest validates against the Kubernetes schemas."""

from __future__ import annotations

from pathlib import Path

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from appeals_devstack.services import EVERYTHING, SERVICES

CHART = Path(__file__).parents[2] / "deploy" / "helm" / "open-appeals"
KUBERNETES = "1.31"


def render(values_file: str | None) -> list[dict]:
    values = yaml.safe_load((CHART / values_file).read_text("utf-8")) if values_file else {}
    with helm.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values, name="appeals", namespace="appeals")
    return [doc for text in rendered.values() for doc in yaml.safe_load_all(text) if doc]


@pytest.mark.parametrize("values_file", [None, "values-production.yaml"])
def test_the_chart_renders_valid_manifests_for_every_service(values_file):
    manifests = render(values_file)
    for manifest in manifests:
        kubernetes_validate.validate(manifest, KUBERNETES, strict=True)
    kinds = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    for service in EVERYTHING:
        for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
            assert (kind, f"appeals-{service.name}") in kinds


def containers(manifests: list[dict]) -> dict[str, dict]:
    return {m["metadata"]["name"]: m["spec"]["template"]["spec"]["containers"][0]
            for m in manifests if m["kind"] == "Deployment"}


def test_probes_secrets_and_resources():
    for name, container in containers(render(None)).items():
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["resources"]["requests"]["cpu"]
        env = {e["name"]: e for e in container["env"]}
        if name == "appeals-portal":  # no database, no broker: the services' APIs
            assert not {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"} & set(env)
            assert env["INTAKE_URL"]["value"] == "http://appeals-intake:8000"
            assert env["PORTAL_SECRET_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "secret-key"
            continue
        if name == "appeals-mail":  # no database; publishes letters under its own principal
            assert "DATABASE_URL" not in env and env["KAFKA_BOOTSTRAP_SERVERS"]["value"]
            assert env["INTAKE_URL"]["value"] == "http://appeals-intake:8000"
            assert env["IMAP_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "imap-password"
            continue
        if name == "appeals-desk":  # no database, no broker: intake's API with the operator's token
            assert not {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"} & set(env)
            assert env["INTAKE_URL"]["value"] == "http://appeals-intake:8000"
            assert env["DESK_SECRET_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "secret-key"
            continue
        if name == "appeals-workspace":  # no database; a producer of signed actions with its own principal
            assert "DATABASE_URL" not in env and env["KAFKA_BOOTSTRAP_SERVERS"]["value"]
            assert env["ROUTING_URL"]["value"] == "http://appeals-routing:8000"
            assert env["WORKSPACE_SIGNING_KEYS_DIR"]["value"] == "/etc/appeals/signing-keys"
            assert {"name": "signing-keys", "mountPath": "/etc/appeals/signing-keys", "readOnly": True} \
                in container["volumeMounts"]
            continue
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == name.removeprefix("appeals-")
        assert "value" not in env["DATABASE_URL"]


def test_production_values_use_sasl_tls_and_otlp():
    prod = containers(render("values-production.yaml"))
    intake = {e["name"]: e for e in prod["appeals-intake"]["env"]}
    assert intake["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
    assert intake["KAFKA_SASL_USERNAME"]["value"] == "appeals-intake", "one principal per service"
    assert intake["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "appeals-intake"
    assert intake["STATUS_TOKEN_SECRET"]["valueFrom"]["secretKeyRef"]["key"] == "secret"
    assert intake["OIDC_ROLES_CLAIM"]["value"] == "realm_access.roles" and intake["OIDC_ISSUER"]["value"]
    routing = {e["name"]: e for e in prod["appeals-routing"]["env"]}
    assert routing["EXECUTOR_KEYS_FILE"]["value"].endswith("executor-keys.yaml")
    assert intake["SSL_CERT_FILE"]["value"].endswith("ca.crt")
    assert intake["OTEL_TRACES_EXPORTER"]["value"] == "otlp"
    notification = {e["name"]: e for e in prod["appeals-notification"]["env"]}
    assert notification["SMS_GATEWAY_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "sms-token"
    assert prod["appeals-intake"]["resources"]["limits"]["memory"] == "1Gi"
    portal = {e["name"]: e for e in prod["appeals-portal"]["env"]}
    track = notification["TRACK_URL"]["value"]
    assert track == portal["PORTAL_URL"]["value"] + "/s/{number}/{token}", "the SMS link opens the portal"


def test_monitoring_toggles_render_a_service_monitor_per_service_and_the_alert_rules():
    manifests = render("values-monitoring.yaml")
    for manifest in manifests:
        if manifest["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # custom resources: checked below against the operator's fields
        kubernetes_validate.validate(manifest, KUBERNETES, strict=True)
    services = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "Service"}
    monitors = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "ServiceMonitor"}
    assert set(monitors) == set(services) == {f"appeals-{s.name}" for s in EVERYTHING}
    for name, monitor in monitors.items():
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["spec"]["selector"]["matchLabels"].items() <= services[name]["metadata"]["labels"].items()
        [endpoint] = monitor["spec"]["endpoints"]
        assert endpoint["port"] in {p["name"] for p in services[name]["spec"]["ports"]} and endpoint["path"] == "/metrics"
        assert endpoint["oauth2"]["clientSecret"]["name"] == "appeals-prometheus-client"
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    [rule] = [m for m in manifests if m["kind"] == "PrometheusRule"]
    alerts = yaml.safe_load((CHART / "files" / "alerts.yaml").read_text("utf-8"))
    assert rule["spec"]["groups"] == alerts["groups"], "the rules promtool tests are the rules deployed"
    assert not [m for m in render(None) if m["apiVersion"].startswith("monitoring.coreos.com/")], "off by default"


def test_the_api_documents_are_off_in_production():
    for name, container in containers(render("values-production.yaml")).items():
        assert {e["name"]: e for e in container["env"]}["API_DOCS"]["value"] == "false", name
    for name, container in containers(render(None)).items():
        assert {e["name"]: e for e in container["env"]}["API_DOCS"]["value"] == "true", name
