"""A database crash while a delivery batch is in flight sends nothing twice. Notification marks
the batch "sending" (committed) before it calls the SMS gateway, and keeps the answers until it
can record them; here PostgreSQL is stopped (``-m immediate``) the moment the gateway receives
the batch's first message and comes back 5 s later. The gateway (the local sink) deduplicates
on the client message id and counts what it refused: nothing may reach it twice."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealRegistered, CitizenContact, DeadlineScheduled
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.sinks import MailSink, SmsSink
from appeals_devstack.stack import EmbeddedStack
from appeals_devstack.testing import VALID_IIN, eventually, produce
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration
NOTIFICATION = next(s for s in SERVICES if s.name == "notification")
MESSAGES = 20


def registered(n: int) -> list[tuple[bytes, bytes, list]]:
    """An appeal's registration and its deadline: what the citizen's first SMS needs."""
    appeal = uuid.uuid4()
    event = AppealRegistered(appeal_id=appeal, registration_number=f"OA-2026-9{n:07d}", channel="contact_centre",
                             channel_message_id=f"pg-{appeal.hex}", kind="complaint", category="road_repair",
                             district="medeu", text="Pothole", language="ru", anonymous=False,
                             citizen=CitizenContact(name="Crash T.", iin=VALID_IIN, phone=f"+7701555{n:04d}"),
                             registered_at=Clock().now())
    due = DeadlineScheduled(appeal_id=appeal, policy_code="seed.calendar_15", regime="seed",
                            due_at=datetime(2026, 12, 16, 19, 0, tzinfo=UTC), scheduled_at=Clock().now())
    return [(str(appeal).encode(), e.kafka_value(), e.kafka_headers()) for e in (
        Envelope.wrap(event, source="/services/intake", subject=str(appeal), time=Clock().now()),
        Envelope.wrap(due, source="/services/deadline-tracker", subject=str(appeal), time=Clock().now()))]


async def test_a_database_crash_during_a_delivery_batch_sends_no_sms_twice(tmp_path: Path):
    state = Path(os.environ.get("APPEALS_TEST_STATE_DIR", Path(__file__).parents[2] / ".state" / "test"))
    stack = EmbeddedStack(state.with_name(state.name + "-pgcrash"), fresh=True)
    info = await asyncio.to_thread(stack.start)
    crashed, restarted = threading.Event(), threading.Event()

    def crash_on_first(_: dict) -> None:  # runs while the sender waits for the gateway's answer
        if not crashed.is_set():
            crashed.set()
            stack.crash_postgres()
            threading.Timer(5.0, lambda: (stack.restart_postgres(), restarted.set())).start()

    sms, mail = SmsSink(tmp_path / "sms.jsonl", on_message=crash_on_first).start(), MailSink(tmp_path / "mail").start()
    appeals = [registered(n) for n in range(MESSAGES)]
    await produce(info.bootstrap_servers, "appeals.registered.v1", [a[0] for a in appeals])
    await produce(info.bootstrap_servers, "appeals.deadlines.v1", [a[1] for a in appeals])
    process = ServiceProcess(NOTIFICATION, info, tmp_path / "logs", extra_env={
        "SMS_GATEWAY_URL": sms.url, "SMS_QUIET_HOURS": "", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail.port),
        "DELIVERY_POLL_INTERVAL_S": "0.2", "DELIVERY_BATCH_SIZE": "50"}).start()
    try:
        process.wait_ready(timeout_s=90)
        await eventually(lambda: restarted.is_set(), timeout_s=90, what="the database crashed mid-batch and back")

        async def all_delivered() -> list | None:
            reply = await asyncio.to_thread(httpx.get, f"{process.base_url}/v1/deliveries/summary",
                                            headers=info.bearer("sre-1", "sre"), timeout=10)
            if reply.status_code != 200:
                return None
            statuses = {r["status"]: r["count"] for r in reply.json() if r["delivery_channel"] == "sms"}
            return statuses if statuses == {"delivered": MESSAGES} else None

        await eventually(all_delivered, timeout_s=120, what="every SMS recorded after the database came back")
        lines = (tmp_path / "sms.jsonl").read_text("utf-8").splitlines()
        assert len(lines) == MESSAGES
        assert sms.duplicates == 0, "the gateway was asked to send a message it already had"
        log = process.log_path.read_text("utf-8", "replace")
        assert "recording" in log and "retrying" in log, "the outcomes waited for the database"
    finally:
        process.stop()
        sms.stop()
        mail.stop()
        stack.stop()
