"""docker-compose.yml parses and fits the Compose specification (the JSON Schema that
Debian's docker-compose 1.29.2 ships, kept in deploy/compose-spec.json), and wires what the
platform needs: Apache Kafka in KRaft mode, one PostgreSQL per service, Jaeger, the five
services built from this repository with health checks and start order."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from appeals_devstack.services import SERVICES

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
SPEC = json.loads((ROOT / "deploy" / "compose-spec.json").read_text("utf-8"))


def test_the_file_fits_the_compose_specification():
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}"
              for e in jsonschema.Draft201909Validator(SPEC).iter_errors(COMPOSE)]
    assert errors == []


def test_every_dependency_exists_and_waits_for_health():
    services = COMPOSE["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no health check"


def test_the_platform_is_all_there():
    services = COMPOSE["services"]
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:") and "controller" in broker_properties()["process.roles"]
    assert services["jaeger"]["image"].startswith("jaegertracing/")
    for service in SERVICES:
        app = services[service.name]
        assert app["build"] == "." and "healthcheck" in app
        assert app["command"][-1] == service.module
        env = app["environment"]
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092" and env["KAFKA_SASL_USERNAME"] == f"appeals-{service.name}"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"
        database = env["DATABASE_URL"].split("@")[1].split(":")[0]
        assert database == f"postgres-{service.name}" and services[database]["image"].startswith("postgres:")
        assert app["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert len({s["environment"]["DATABASE_URL"] for n, s in services.items() if n in {x.name for x in SERVICES}}) == 5


def broker_properties() -> dict[str, str]:
    text = (ROOT / "deploy" / "compose" / "kafka" / "server.properties").read_text("utf-8")
    pairs = (line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def test_kafka_speaks_only_sasl_ssl_outside_the_broker():
    props = broker_properties()
    protocols = dict(pair.split(":") for pair in props["listener.security.protocol.map"].split(","))
    for listener in props["listeners"].split(","):
        name, address = listener.split("://")
        assert protocols[name] == "SASL_SSL" or address.startswith("127.0.0.1:"), listener
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["allow.everyone.if.no.acl.found"] == "false" and "StandardAuthorizer" in props["authorizer.class.name"]
    kafka = COMPOSE["services"]["kafka"]
    assert not [k for k in kafka.get("environment", {}) if k != "KAFKA_OPTS"], "all configuration in server.properties"
    assert any(v.endswith("/mnt/shared/config/server.properties:ro") for v in kafka["volumes"])


def test_each_service_is_its_own_principal_with_the_set_up_users_password():
    from appeals_devstack.kafka_acls import COMPOSE_SETUP, compose_setup

    assert COMPOSE_SETUP.read_text("utf-8") == compose_setup(), "run `appeals-stack acls`"
    script = COMPOSE_SETUP.read_text("utf-8")
    services = COMPOSE["services"]
    for name in [s.name for s in SERVICES] + ["topics"]:
        env = services[name]["environment"]
        assert (env["KAFKA_SECURITY_PROTOCOL"], env["KAFKA_SASL_MECHANISM"]) == ("SASL_SSL", "SCRAM-SHA-512")
        user, password = env["KAFKA_SASL_USERNAME"], env["KAFKA_SASL_PASSWORD"]
        assert f"--entity-name {user} --add-config 'SCRAM-SHA-512=[iterations=8192,password={password}]'" in script
        assert any(v.startswith("kafka-tls:") for v in services[name]["volumes"]) and env["SSL_CERT_FILE"]
    assert len({services[s.name]["environment"]["KAFKA_SASL_USERNAME"] for s in SERVICES}) == len(SERVICES)
    assert services["kafka-setup"]["network_mode"] == "service:kafka"


def _compose_client() -> list[str] | None:
    """``docker-compose`` (Debian's package) or ``docker compose`` (the plugin), if either is here."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_the_compose_client_accepts_it_when_there_is_one():
    client = _compose_client()
    if client is None:
        pytest.skip("no compose client on this machine; the schema test above stands in for it")
    done = subprocess.run([*client, "config", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_citizens_portal_is_there_and_the_messages_link_to_it():
    services = COMPOSE["services"]
    portal = services["portal"]
    assert portal["command"][-1].endswith("python -m appeals_portal.entrypoints.main") and "healthcheck" in portal
    env = portal["environment"]
    assert not {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"} & set(env), "the portal has no database and no broker"
    assert env["INTAKE_URL"] == "http://intake:8000" and len(env["PORTAL_SECRET_KEY"]) >= 32
    assert services["notification"]["environment"]["TRACK_URL"] == f"{env['PORTAL_URL']}/s/{{number}}/{{token}}"
