"""The chaos suite's short run inside `make test`: the whole platform under every kind of fault
(SIGKILLs, a PostgreSQL crash, providers refusing or timing out, poison records), checked from
the outside. `make chaos RUNS=n` runs many seeds and scenarios (appeals_devstack.chaos)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appeals_devstack.chaos import SCENARIOS, plan, run_one, save

pytestmark = pytest.mark.integration


def test_a_plan_is_the_seeds_and_covers_its_scenario():
    assert plan("mixed", 7, 20.0) == plan("mixed", 7, 20.0), "repeatable from the seed"
    kinds = {f.kind for seed in range(20) for f in plan("mixed", seed, 20.0)}
    assert kinds == set(SCENARIOS["mixed"])
    assert all(2.0 <= f.at_s <= 19.0 for f in plan("kill", 3, 20.0))


def test_a_mixed_run_loses_nothing_and_sends_nothing_twice(tmp_path: Path):
    state = Path(os.environ.get("APPEALS_TEST_STATE_DIR", Path(__file__).parents[2] / ".state" / "test"))
    report = run_one("mixed", 20261125, state.with_name(state.name + "-chaos"), load_s=15.0, rate=3.0)
    path = save(report, tmp_path)
    assert report.converged and report.violations == [], path.read_text()
    assert report.checks["faults injected"] == len(report.faults) >= 3
    assert report.counts["registered"] > 20 and report.counts.get("notice delivered", 0) > 0


@pytest.mark.apache_kafka
def test_the_brokers_own_faults_lose_nothing_on_apache_kafka(tmp_path: Path):
    """A surge through a three-node Apache Kafka while the leader of the intake partition is
    SIGKILLed, a node is paused past the session timeouts, the active controller is lost and a
    consumer group rebalances mid-batch; the same checker judges the result."""
    state = Path(os.environ.get("APPEALS_TEST_STATE_DIR", Path(__file__).parents[2] / ".state" / "test"))
    report = run_one("broker", 20261225, state.with_name(state.name + "-chaos-apache"), load_s=20.0, rate=3.0,
                     kafka="apache")
    path = save(report, tmp_path)
    assert report.converged and report.violations == [], path.read_text()
    assert {f.kind for f in report.faults} == set(SCENARIOS["broker"])
    assert report.checks["faults injected"] == len(report.faults)
    assert all(f.target.startswith("kafka node ") for f in report.faults if f.kind != "rebalance")
    assert report.counts["registered"] > 20 and report.counts.get("notice delivered", 0) > 0
