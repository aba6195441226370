"""The Code's further time limits on the real broker and PostgreSQL: the deadline tracker under
DEADLINE_REGIME=appc_2021 counts an appeal received on a day off from the next working day
(Art. 64), reports a reassignment on the 4th working day as a forwarding breach, and
inspection charges it to the executor that held the appeal in the week's scorecards."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealAssigned, AppealRegistered, CitizenContact
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, produce, read_topic
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration
ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture(scope="module")
def services(own_stack: StackInfo, tmp_path_factory):
    stack = own_stack
    log_dir = tmp_path_factory.mktemp("appc")
    env = {"deadline-tracker": {"DEADLINE_REGIME": "appc_2021", "SWEEP_INTERVAL_S": "0.5"}}
    processes = {s.name: ServiceProcess(s, stack, log_dir, extra_env=env.get(s.name)).start()
                 for s in SERVICES if s.name in ("deadline-tracker", "inspection")}
    for p in processes.values():
        p.wait_ready()
    yield processes
    for p in processes.values():
        p.stop()


def registered(registered_at: datetime) -> AppealRegistered:
    return AppealRegistered(
        appeal_id=uuid.uuid4(), registration_number=f"OA-2026-9{uuid.uuid4().int % 10**7:07d}",
        channel="contact_centre", channel_message_id=f"appc-{uuid.uuid4().hex[:8]}", kind="complaint",
        category="road_repair", district="medeu", text="A broken street light.", language="ru",
        citizen=CitizenContact(name="Test", phone="+77011234567"), registered_at=registered_at)


def record(event, appeal_id: uuid.UUID, source: str):
    envelope = Envelope.wrap(event, source=source, subject=str(appeal_id), time=Clock().now())
    return str(appeal_id).encode(), envelope.kafka_value(), envelope.kafka_headers()


async def deadline_events(stack: StackInfo, appeal_id: uuid.UUID, event_type: str) -> list[dict]:
    def mine(r) -> bool:
        return json.loads(r.value)["appeal_id"] == str(appeal_id) and dict(r.headers)["ce_type"] == event_type.encode()
    records = await read_topic(stack.bootstrap_servers, "appeals.deadlines.v1", until=lambda rs: any(map(mine, rs)))
    return [json.loads(r.value) for r in records if mine(r)]


async def test_a_saturday_of_nauryz_counts_from_thursday_26_march(own_stack: StackInfo, services):
    stack = own_stack
    saturday = registered(datetime(2026, 3, 21, 11, 0, tzinfo=ALMATY))
    await produce(stack.bootstrap_servers, "appeals.registered.v1",
                  [record(saturday, saturday.appeal_id, "/intake")])
    [scheduled] = await deadline_events(stack, saturday.appeal_id, "deadline.scheduled")
    assert scheduled["counted_from"] == "2026-03-26" and scheduled["regime"] == "appc_2021"
    assert datetime.fromisoformat(scheduled["due_at"]).astimezone(ALMATY).date().isoformat() == "2026-04-17"


async def test_a_reassignment_on_the_fourth_working_day_is_a_forwarding_breach(own_stack: StackInfo, services):
    stack = own_stack
    monday = datetime(2026, 11, 2, 10, 0, tzinfo=ALMATY)  # a working day, in working hours
    appeal = registered(monday)
    await produce(stack.bootstrap_servers, "appeals.registered.v1", [record(appeal, appeal.appeal_id, "/intake")])
    [scheduled] = await deadline_events(stack, appeal.appeal_id, "deadline.scheduled")
    assert datetime.fromisoformat(scheduled["forwarding_due_at"]).astimezone(ALMATY).date().isoformat() == "2026-11-06"

    def reassigned(at: datetime, from_code: str, to_code: str) -> AppealAssigned:
        return AppealAssigned(appeal_id=appeal.appeal_id, registration_number=appeal.registration_number,
                              executor_code=to_code, previous_executor_code=from_code, reason="reassignment",
                              category="road_repair", district="medeu", assigned_at=at)
    third = reassigned(datetime(2026, 11, 5, 17, 0, tzinfo=ALMATY), "medeu_akimat", "triage")  # in time
    fourth = reassigned(datetime(2026, 11, 6, 9, 30, tzinfo=ALMATY), "triage", "mobility_dept")  # one day late
    await produce(stack.bootstrap_servers, "appeals.assigned.v1",
                  [record(third, appeal.appeal_id, "/routing"), record(fourth, appeal.appeal_id, "/routing")])
    [breach] = await deadline_events(stack, appeal.appeal_id, "deadline.forwarding_breached")
    assert breach["from_executor_code"] == "triage" and breach["to_executor_code"] == "mobility_dept"
    assert datetime.fromisoformat(breach["forwarded_at"]) == datetime(2026, 11, 6, 9, 30, tzinfo=ALMATY)

    today = Clock().now().astimezone(ALMATY).date()
    async with httpx.AsyncClient(base_url=services["inspection"].base_url,
                                 headers=stack.bearer("insp-1", "inspector")) as inspection:
        async def charged():
            cards = (await inspection.get("/v1/scorecards", params={
                "from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()})).json()
            return next((c for c in cards if c["executor_code"] == "triage" and c["forwarded_late"] >= 1), None)
        assert await eventually(charged, "the late forwarding in triage's scorecard")
