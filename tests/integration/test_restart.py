"""`make run` stopped and started again in the middle of a flow: the embedded broker comes
back empty (it keeps data in memory), PostgreSQL keeps everything. Each service finds that the
broker does not hold what it published, publishes its retained outbox again, and its
consumers read from the beginning with their inboxes absorbing what was applied. Every appeal
reaches its end state, and every notice reaches the mail sink exactly once."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import ExecutorAnswerSubmitted
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.sinks import MailSink, SmsSink
from appeals_devstack.stack import EmbeddedStack, StackInfo
from appeals_devstack.testing import VALID_IIN, eventually, produce
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration
APPEALS = 12


def _start(info: StackInfo, root: Path, mail: MailSink, sms: SmsSink, run: str) -> dict[str, ServiceProcess]:
    env = {"notification": {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail.port), "SMS_GATEWAY_URL": sms.url,
                            "SMS_QUIET_HOURS": "", "DELIVERY_POLL_INTERVAL_S": "0.2"}}
    processes = {s.name: ServiceProcess(s, info, root / run, extra_env=env.get(s.name, {})).start() for s in SERVICES}
    for p in processes.values():
        p.wait_ready(timeout_s=120)
    return processes


def _stop(processes: dict[str, ServiceProcess]) -> None:
    for p in processes.values():
        p.stop()  # SIGTERM: uvicorn shuts the service down, then dies of the signal it got (-15)
        assert f"{p.service.name} stopped" in p.log_path.read_text("utf-8", "replace"), f"{p.service.name} was killed"


async def test_a_restart_mid_flow_loses_nothing_and_sends_nothing_twice(tmp_path):
    state = Path(os.environ.get("APPEALS_TEST_STATE_DIR", Path(__file__).parents[2] / ".state" / "test"))
    state = state.with_name(state.name + "-restart")
    mail, sms = MailSink(tmp_path / "mail").start(), SmsSink(tmp_path / "sms.jsonl").start()
    stack = EmbeddedStack(state, fresh=True)
    info = await asyncio.to_thread(stack.start)  # it runs an event loop of its own
    processes = _start(info, tmp_path, mail, sms, "before")
    try:
        operator = info.bearer("op-1", "operator")
        created = []
        async with httpx.AsyncClient(base_url=processes["intake"].base_url, headers=operator, timeout=30) as intake:
            for n in range(APPEALS):
                reply = await intake.post("/v1/appeals", json={
                    "channel": "contact_centre", "channel_message_id": f"restart-{uuid.uuid4().hex[:8]}",
                    "kind": "complaint", "category": "road_repair", "district": "medeu", "language": "ru",
                    "text": f"Яма на дороге, дом {n + 1}.",
                    "citizen": {"name": "Restart T.", "iin": VALID_IIN, "email": f"restart-{n}@example.org"}})
                assert reply.status_code == 201, reply.text
                created.append(reply.json())
        # Mid-flow: registered, some perhaps routed, notices on their way. Stop everything.
        _stop(processes)
        stack.stop()

        stack = EmbeddedStack(state)  # PostgreSQL as it was; an empty broker
        info = await asyncio.to_thread(stack.start)
        processes = _start(info, tmp_path, mail, sms, "after")
        staff = {"intake": info.bearer("op-1", "operator"), "inspection": info.bearer("insp-1", "inspector"),
                 "notification": info.bearer("sre-1", "sre")}
        intake, inspection, notification = (
            httpx.AsyncClient(base_url=processes[n].base_url, headers=staff[n], timeout=30)
            for n in ("intake", "inspection", "notification"))

        async def status(number: str) -> dict:
            return (await intake.get(f"/v1/appeals/{number}")).json()

        async def all_assigned() -> list[dict] | None:
            states = [await status(c["registration_number"]) for c in created]
            return states if all(s["executor_code"] and s["due_at"] for s in states) else None

        states = await eventually(all_assigned, timeout_s=120, what="every appeal routed after the restart")
        for appeal, state_ in zip(created, states, strict=True):
            executor = state_["executor_code"]
            action = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.UUID(appeal["appeal_id"]),
                                             executor_code=executor, employee_id="emp-7", text="Заделали.",
                                             language="ru", submitted_at=Clock().now())
            envelope = Envelope.wrap(action, source=f"/portals/{executor}", subject=appeal["appeal_id"],
                                     time=Clock().now())
            await produce(info.bootstrap_servers, "appeals.executor-actions.v1",
                          [info.signed_action(executor, envelope)])

        async def queued() -> list[dict] | None:
            rows = (await inspection.get("/v1/queue")).json()
            return rows if len(rows) == APPEALS else None

        for row in await eventually(queued, timeout_s=120, what="every answer in the review queue"):
            assert (await inspection.post(f"/v1/answers/{row['answer_id']}/accept")).status_code == 200

        async def all_closed() -> bool:
            return all([(await status(c["registration_number"]))["status"] == "closed" for c in created])

        await eventually(all_closed, timeout_s=120, what="every appeal closed")

        async def ledgers() -> list[dict] | None:
            rows = [r for c in created
                    for r in (await notification.get(f"/v1/appeals/{c['appeal_id']}/notifications")).json()]
            done = len(rows) == 4 * APPEALS and all(r["status"] == "delivered" for r in rows)
            return rows if done else None

        rows = await eventually(ledgers, timeout_s=120, what="every notice delivered")
        assert Counter(r["template"] for r in rows) == {t: APPEALS for t in (
            "citizen.registered", "citizen.assigned", "executor.assigned", "citizen.answer_accepted")}
        sent = Counter(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Message-ID"]
                       for p in mail.directory.glob("*.eml"))
        # An executor's notices may go in one digest: the e-mail carrying a notice is its ``sent_as``.
        by_id = {str(r["sent_as"] or r["notification_id"]) for r in rows if r["delivery_channel"] == "email"}
        assert {mid.strip("<>").split("@")[0] for mid in sent} == by_id
        assert [mid for mid, n in sent.items() if n > 1] == [], "a notice sent twice"
        for client in (intake, inspection, notification):
            await client.aclose()
    finally:
        for p in processes.values():
            p.stop()
        stack.stop()
        mail.stop()
        sms.stop()
