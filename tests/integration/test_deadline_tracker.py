"""The deadline tracker as two replicas on one database, on the real broker: scheduling,
reminders and breaches fired exactly once, an extension granted once, the clock stopped by
the accepted answer, and a year without calendar refused explicitly."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AnswerAccepted, AppealExtensionRequested, AppealRegistered
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import header, produce, read_topic

pytestmark = pytest.mark.integration
TRACKER = next(s for s in SERVICES if s.name == "deadline-tracker")


@pytest.fixture(scope="module")
def replicas(stack: StackInfo, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("deadlines")
    processes = [ServiceProcess(TRACKER, stack, log_dir / str(i), extra_env={"SWEEP_INTERVAL_S": "0.2"}).start()
                 for i in range(2)]
    for p in processes:
        p.wait_ready()
    yield processes
    for p in processes:
        p.stop()


def record(event, appeal_id: uuid.UUID):
    envelope = Envelope.wrap(event, source="/test", subject=str(appeal_id))
    return str(appeal_id).encode(), envelope.kafka_value(), envelope.kafka_headers()


def registered(appeal_id: uuid.UUID, at: datetime, channel: str = "portal") -> AppealRegistered:
    return AppealRegistered(appeal_id=appeal_id, registration_number=f"OA-T-{appeal_id.hex[:8]}", channel=channel,
                            social_network="telegram" if channel == "social_network" else None,
                            channel_message_id=appeal_id.hex, kind="complaint", category="road_repair",
                            text="Pothole", language="ru", registered_at=at)


async def test_deadline_lifecycle_with_two_replicas(stack: StackInfo, replicas):
    now = datetime.now(UTC)
    overdue, extended, social, too_old = (uuid.uuid4() for _ in range(4))
    await produce(stack.bootstrap_servers, "appeals.registered.v1", [
        record(registered(overdue, now - timedelta(days=20)), overdue),
        record(registered(extended, now - timedelta(days=14)), extended),
        record(registered(social, now, channel="social_network"), social),
        record(registered(too_old, datetime(2019, 12, 30, 6, tzinfo=UTC), channel="social_network"), too_old),
    ] * 2)  # every event delivered twice

    def events_of(records, appeal):
        return [(header(r, "ce_type"), json.loads(r.value)) for r in records if r.key == str(appeal).encode()]

    deadlines = await read_topic(stack.bootstrap_servers, "appeals.deadlines.v1", until=lambda rs: (
        Counter(t for t, _ in events_of(rs, overdue)) == {"deadline.scheduled": 1, "deadline.approaching": 2,
                                                          "deadline.breached": 1}
        and len(events_of(rs, extended)) >= 2 and events_of(rs, social)), timeout_s=90)
    got = Counter(t for t, _ in events_of(deadlines, overdue))
    assert got == {"deadline.scheduled": 1, "deadline.approaching": 2, "deadline.breached": 1}

    scheduled = dict(events_of(deadlines, extended))["deadline.scheduled"]
    due = datetime.fromisoformat(scheduled["due_at"])
    assert scheduled["policy_code"] == "seed.calendar_15"
    assert due > now and Counter(t for t, _ in events_of(deadlines, extended))["deadline.approaching"] == 1
    assert dict(events_of(deadlines, social))["deadline.scheduled"]["policy_code"] == "seed.social_3"

    ask = AppealExtensionRequested(appeal_id=extended, executor_code="mobility_dept", employee_id="md-1",
                                   reason="On-site inspection of the road", requested_at=now)
    await produce(stack.bootstrap_servers, "appeals.extension-requested.v1", [record(ask, extended)])
    again = AppealExtensionRequested(appeal_id=extended, executor_code="mobility_dept", employee_id="md-1",
                                     reason="Still inspecting", requested_at=now + timedelta(seconds=1))
    await produce(stack.bootstrap_servers, "appeals.extension-requested.v1", [record(again, extended)])
    accepted = AnswerAccepted(appeal_id=extended, answer_id=uuid.uuid4(), executor_code="mobility_dept",
                              employee_id="md-1", inspector_id="i-1", answer_text="Repaired", answer_language="ru",
                              answer_submitted_at=now + timedelta(minutes=1), decided_at=now + timedelta(minutes=2))
    await produce(stack.bootstrap_servers, "appeals.inspections.v1", [record(accepted, extended)] * 2)

    deadlines = await read_topic(stack.bootstrap_servers, "appeals.deadlines.v1", until=lambda rs: (
        "deadline.closed" in {t for t, _ in events_of(rs, extended)}), timeout_s=60)
    assert Counter(t for t, _ in events_of(deadlines, overdue)) == got, "no timer fired twice, even later"
    mine = events_of(deadlines, extended)
    types = Counter(t for t, _ in mine)
    assert types["deadline.extended"] == 1 and types["deadline.extension_refused"] == 1 and types["deadline.closed"] == 1
    ext = next(p for t, p in mine if t == "deadline.extended")
    assert (datetime.fromisoformat(ext["due_at"]) - due).days == 15  # 15 -> 30 calendar days from registration
    assert next(p for t, p in mine if t == "deadline.extension_refused")["reason"] == "the deadline was already extended once"
    closed = next(p for t, p in mine if t == "deadline.closed")
    assert closed["on_time"] is True

    dead = await read_topic(stack.bootstrap_servers, "appeals.registered.v1.dlq.deadline-tracker",
                            until=lambda rs: any(r.key == str(too_old).encode() for r in rs), timeout_s=30)
    reason = next(header(r, "dlq_reason") for r in dead if r.key == str(too_old).encode())
    assert "no working-day calendar for 2019" in reason
