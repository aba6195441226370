"""The alert rules load and pass their promtool unit tests; every alert names a runbook
section that exists; every metric they use is one a service exports."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
ALERTS = ROOT / "deploy" / "helm" / "open-appeals" / "files" / "alerts.yaml"
RULES = yaml.safe_load(ALERTS.read_text("utf-8"))
RUNBOOKS = (ROOT / "docs" / "runbooks.md").read_text("utf-8")


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], cwd=MONITORING, capture_output=True, text=True, timeout=120)


def test_promtool_checks_the_rules():
    done = promtool("check", "rules", str(ALERTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_unit_tests_pass_for_every_alert():
    done = promtool("test", "rules", "alerts.test.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    tested = set(re.findall(r"alertname: (\w+)", (MONITORING / "alerts.test.yaml").read_text("utf-8")))
    assert tested == {r["alert"] for g in RULES["groups"] for r in g["rules"]}


def test_every_alert_names_a_runbook_section():
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^## (.+)$", RUNBOOKS, re.M)}
    for group in RULES["groups"]:
        for rule in group["rules"]:
            runbook = rule["annotations"]["runbook"]
            assert runbook.startswith("docs/runbooks.md#") and runbook.split("#")[1] in anchors, rule["alert"]
            for part in ("**Means.**", "**Confirm.**", "**Fix.**", "**Verify.**"):
                section = RUNBOOKS.split(f"## {runbook.split('#')[1]}")[1].split("\n## ")[0]
                assert part in section, (rule["alert"], part)


def exported_metrics() -> set[str]:
    """Every metric family the runtime and the services define (their modules imported)."""
    import importlib

    from prometheus_client import REGISTRY

    for module in ("appeals_runtime.metrics", "appeals_intake.adapters.metrics", "appeals_routing.adapters.metrics",
                   "appeals_deadlines.adapters.metrics", "appeals_notification.adapters.metrics",
                   "appeals_inspection.adapters.metrics"):
        importlib.import_module(module)
    names = set()
    for family in REGISTRY.collect():
        names |= {family.name} | ({f"{family.name}_total"} if family.type == "counter" else set())
    return names


def test_the_rules_use_only_metrics_the_services_export():
    known = exported_metrics() | {"up"}
    for group in RULES["groups"]:
        for rule in group["rules"]:
            used = set(re.findall(r"\b(appeals_[a-z_]+)\b", rule["expr"]))
            assert used and used <= known, (rule["alert"], used - known)


DASHBOARD = MONITORING / "grafana" / "dashboards" / "open-appeals.json"


def test_the_dashboard_loads_and_shows_only_exported_series(tmp_path):
    import json

    dashboard = json.loads(DASHBOARD.read_text("utf-8"))
    provisioned = yaml.safe_load((MONITORING / "grafana" / "provisioning" / "datasources" / "prometheus.yaml").read_text())
    uid = provisioned["datasources"][0]["uid"]
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    titles = " ".join(p["title"] for p in dashboard["panels"]).lower()
    for stage in ("flow", "lag", "backlog", "dead letters", "deadlines", "deliver"):
        assert stage in titles, stage
    known = exported_metrics() | {"http_requests_total", "http_request_duration_seconds_bucket"}
    for panel in panels:
        assert panel["datasource"]["uid"] == uid
        for target in panel["targets"]:
            used = set(re.findall(r"\b((?:appeals|http)_[a-z_]+)\b", target["expr"]))
            assert used and used <= known, (panel["title"], used - known)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_compose_runs_prometheus_and_grafana_with_the_rules_and_the_dashboard(tmp_path):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    prometheus, grafana = compose["services"]["prometheus"], compose["services"]["grafana"]
    assert any(v.startswith("./deploy/helm/open-appeals/files/alerts.yaml:/etc/prometheus/alerts.yaml")
               for v in prometheus["volumes"])
    assert any(v.startswith("./deploy/monitoring/grafana/dashboards:/var/lib/grafana/dashboards") for v in grafana["volumes"])
    assert "--metrics-token" in compose["services"]["issuer"]["command"]
    # The scrape configuration as Prometheus reads it, with the container's paths pointed here.
    config = (MONITORING / "prometheus.yml").read_text("utf-8")
    (tmp_path / "token").write_text("a-token")
    config = config.replace("/etc/prometheus/alerts.yaml", str(ALERTS)).replace(
        "/var/lib/appeals/prometheus.token", str(tmp_path / "token"))
    (tmp_path / "prometheus.yml").write_text(config)
    done = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    jobs = {j["job_name"] for j in yaml.safe_load(config)["scrape_configs"]}
    from appeals_devstack.services import EVERYTHING

    assert jobs == {f"appeals-{s.name}" for s in EVERYTHING}, "job names the alerts and the chart's monitors share"
