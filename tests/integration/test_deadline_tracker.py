"""The deadline tracker as two replicas on one database, on the real broker, with its clock
moved 20 days ahead (CLOCK_OFFSET_S): scheduling, reminders and breaches fired exactly once,
an extension granted once, refusals, the clock stopped by the accepted answer, a year
without calendar refused, and a SIGKILL of one replica mid-sweep losing nothing."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AnswerAccepted, AppealAnswered, AppealExtensionRequested, AppealRegistered
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, header, produce, read_to_end, read_topic
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration
TRACKER = next(s for s in SERVICES if s.name == "deadline-tracker")
OFFSET = timedelta(days=20)


@pytest.fixture(scope="module")
def replicas(stack: StackInfo, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("deadlines")
    env = {"SWEEP_INTERVAL_S": "0.2", "CLOCK_OFFSET_S": str(OFFSET.total_seconds()), "SWEEP_BATCH_SIZE": "50"}
    processes = [ServiceProcess(TRACKER, stack, log_dir / str(i), extra_env=env).start() for i in range(2)]
    for p in processes:
        p.wait_ready()
    yield processes
    for p in processes:
        p.stop()


def record(event, appeal_id: uuid.UUID):
    envelope = Envelope.wrap(event, source="/test", subject=str(appeal_id), time=Clock().now())
    return str(appeal_id).encode(), envelope.kafka_value(), envelope.kafka_headers()


def registered(appeal_id: uuid.UUID, at: datetime, channel: str = "portal") -> AppealRegistered:
    return AppealRegistered(appeal_id=appeal_id, registration_number=f"OA-T-{appeal_id.hex[:8]}", channel=channel,
                            social_network="telegram" if channel == "social_network" else None,
                            channel_message_id=appeal_id.hex, kind="complaint", category="road_repair",
                            text="Pothole", language="ru", registered_at=at)


def events_of(records, appeal):
    return [(header(r, "ce_type"), json.loads(r.value)) for r in records if r.key == str(appeal).encode()]


async def test_deadline_lifecycle_with_two_replicas(stack: StackInfo, replicas):
    real_now = Clock().now()
    now = real_now + OFFSET  # the trackers' clock
    overdue, extended, social, too_old = (uuid.uuid4() for _ in range(4))
    await produce(stack.bootstrap_servers, "appeals.registered.v1", [
        record(registered(overdue, real_now), overdue),                      # 20 tracker-days old: breached
        record(registered(extended, now - timedelta(days=14)), extended),    # due tomorrow, tracker time
        record(registered(social, now, channel="social_network"), social),
        record(registered(too_old, datetime(2019, 12, 30, 6, tzinfo=UTC), channel="social_network"), too_old),
    ] * 2)  # every event delivered twice

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

    def ask(appeal: uuid.UUID, at: datetime) -> tuple:
        return record(AppealExtensionRequested(appeal_id=appeal, executor_code="mobility_dept", employee_id="md-1",
                                               reason="On-site inspection of the road", requested_at=at), appeal)

    unknown = uuid.uuid4()
    await produce(stack.bootstrap_servers, "appeals.extension-requested.v1",
                  [ask(extended, now), ask(extended, now + timedelta(seconds=1)), ask(unknown, now)])
    # Kafka orders nothing across topics: let the extensions be decided before the verdict.
    await read_topic(stack.bootstrap_servers, "appeals.deadlines.v1", until=lambda rs: (
        Counter(t for t, _ in events_of(rs, extended))["deadline.extension_refused"] == 1
        and "deadline.extended" in {t for t, _ in events_of(rs, extended)}), timeout_s=60)
    def acceptance(answered_at: datetime) -> AnswerAccepted:
        return AnswerAccepted(appeal_id=extended, answer_id=uuid.uuid4(), executor_code="mobility_dept",
                              employee_id="md-1", inspector_id="i-1", answer_text="Repaired", answer_language="ru",
                              answer_submitted_at=answered_at, decided_at=now + timedelta(minutes=2))

    # An acceptance of an answer routing never passed on (forged by a writer of the topic) stops
    # no clock: it waits for its answer, which never comes.
    await produce(stack.bootstrap_servers, "appeals.inspections.v1", [record(acceptance(now - timedelta(days=9)),
                                                                             extended)])
    tracker_db = await asyncpg.connect(stack.database_url("deadline_tracker"))
    try:
        await eventually(lambda: tracker_db.fetchval(
            "SELECT count(*) FROM parked_events WHERE subject = $1 AND kind = 'accepted'", str(extended)),
            "the forged acceptance held back")
        assert await tracker_db.fetchval("SELECT status FROM deadlines WHERE appeal_id = $1", extended) == "open"
    finally:
        await tracker_db.close()
    answered_at = now + timedelta(minutes=1)
    await produce(stack.bootstrap_servers, "appeals.answered.v1", [record(AppealAnswered(
        appeal_id=extended, answer_id=uuid.uuid4(), executor_code="mobility_dept", employee_id="md-1", text="Repaired",
        language="ru", submitted_at=answered_at, received_at=answered_at), extended)])
    await produce(stack.bootstrap_servers, "appeals.inspections.v1", [record(acceptance(answered_at), extended)] * 2)
    deadlines = await read_topic(stack.bootstrap_servers, "appeals.deadlines.v1", until=lambda rs: (
        "deadline.closed" in {t for t, _ in events_of(rs, extended)}), timeout_s=60)
    await produce(stack.bootstrap_servers, "appeals.extension-requested.v1", [ask(extended, now + timedelta(minutes=3))])
    # The request about an appeal whose registration had not come yet waited for it.
    await produce(stack.bootstrap_servers, "appeals.registered.v1", [record(registered(unknown, now), unknown)])

    deadlines = await read_topic(stack.bootstrap_servers, "appeals.deadlines.v1", until=lambda rs: (
        Counter(t for t, _ in events_of(rs, extended))["deadline.extension_refused"] == 2
        and len(events_of(rs, unknown)) >= 2), timeout_s=60)
    assert Counter(t for t, _ in events_of(deadlines, overdue)) == got, "no timer fired twice, even later"
    mine = events_of(deadlines, extended)
    assert Counter(t for t, _ in mine)["deadline.extended"] == 1 and Counter(t for t, _ in mine)["deadline.closed"] == 1
    ext = next(p for t, p in mine if t == "deadline.extended")
    assert (datetime.fromisoformat(ext["due_at"]) - due).days == 15  # 15 -> 30 calendar days from registration
    refusals = [p["reason"] for t, p in mine if t == "deadline.extension_refused"]
    assert refusals == ["the deadline was already extended once", "the deadline is already closed"]
    assert next(p for t, p in mine if t == "deadline.closed")["on_time"] is True
    assert [t for t, _ in events_of(deadlines, unknown)] == ["deadline.scheduled", "deadline.extended"]

    dead = await read_topic(stack.bootstrap_servers, "appeals.registered.v1.dlq.deadline-tracker",
                            until=lambda rs: any(r.key == str(too_old).encode() for r in rs), timeout_s=30)
    reason = next(header(r, "dlq_reason") for r in dead if r.key == str(too_old).encode())
    assert "no working-day calendar for 2019" in reason


async def test_a_replica_killed_mid_sweep_loses_nothing(stack: StackInfo, replicas):
    real_now = Clock().now()
    appeals = [uuid.uuid4() for _ in range(300)]  # 900 timers due at once, swept 50 at a time
    await produce(stack.bootstrap_servers, "appeals.registered.v1", [record(registered(a, real_now), a) for a in appeals])
    wanted = {str(a).encode() for a in appeals}

    def fired(records) -> list:
        return [r for r in records if r.key in wanted and header(r, "ce_type") in ("deadline.approaching",
                                                                                 "deadline.breached")]

    await read_topic(stack.bootstrap_servers, "appeals.deadlines.v1", until=lambda rs: len(fired(rs)) >= 60,
                     timeout_s=60)
    replicas[0].kill()  # mid-sweep: some timers claimed and published, most not yet
    await read_topic(stack.bootstrap_servers, "appeals.deadlines.v1",
                     until=lambda rs: len({header(r, "ce_id") for r in fired(rs)}) >= 900, timeout_s=120)
    # End marker: an appeal registered later, so its timers are claimed after all the others;
    # once its breach is out, a second firing of any earlier timer would be out too.
    marker = uuid.uuid4()
    await produce(stack.bootstrap_servers, "appeals.registered.v1",
                  [record(registered(marker, real_now + timedelta(seconds=1)), marker)])
    await read_topic(stack.bootstrap_servers, "appeals.deadlines.v1", timeout_s=60, until=lambda rs: any(
        r.key == str(marker).encode() and header(r, "ce_type") == "deadline.breached" for r in rs))
    records = await read_to_end(stack.bootstrap_servers, "appeals.deadlines.v1")
    per_appeal = Counter((r.key, header(r, "ce_type")) for r in {header(r, "ce_id"): r for r in fired(records)}.values())
    assert all(per_appeal[(str(a).encode(), "deadline.approaching")] == 2 for a in appeals)
    assert all(per_appeal[(str(a).encode(), "deadline.breached")] == 1 for a in appeals)
    replicas[0].start().wait_ready()
