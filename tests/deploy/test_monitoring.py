"""The alert rules load and pass their promtool unit tests; every alert names a runbook
section that exists; every metric they use is one a service exports."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
MONITORING = ROOT / "deploy" / "monitoring"
RULES = yaml.safe_load((MONITORING / "alerts.yaml").read_text("utf-8"))
RUNBOOKS = (ROOT / "docs" / "runbooks.md").read_text("utf-8")


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], cwd=MONITORING, capture_output=True, text=True, timeout=120)


def test_promtool_checks_the_rules():
    done = promtool("check", "rules", "alerts.yaml")
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
