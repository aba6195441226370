"""Notification on the real broker and PostgreSQL, with a real SMTP server (aiosmtpd) and a
real HTTP SMS gateway stub: the table's messages for a full lifecycle, each once, in the
right language with the number and the due time; an SMTP outage that SMS does not notice
and that drains in order afterwards; redelivery after an offset reset sending nothing; a
template that fails at run time dead-lettering its event."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiosmtpd.controller import Controller

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import (
    AnswerAccepted,
    AnswerReturned,
    AppealAssigned,
    AppealRegistered,
    CitizenContact,
    DeadlineApproaching,
    DeadlineBreached,
    DeadlineExtended,
    DeadlineScheduled,
)
from appeals_devstack.ports import free_port
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, header, produce, read_to_end, read_topic
from appeals_notification.adapters.templates import Templates
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration
NOTIFICATION = next(s for s in SERVICES if s.name == "notification")
GROUP = "notification.appeal-events"
TOPICS = ("appeals.registered.v1", "appeals.assigned.v1", "appeals.deadlines.v1", "appeals.inspections.v1")
D1 = datetime(2026, 12, 16, 19, 0, tzinfo=UTC)  # 17.12.2026 00:00 in Almaty: the end of 16.12
D2 = datetime(2027, 1, 5, 19, 0, tzinfo=UTC)
D1_TEXT, D2_TEXT = "16.12.2026 24:00", "05.01.2027 24:00"
TOKEN = "test-token"


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse (451) for a while."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refusing = False
        self.refused = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if self.refusing:
            self.refused += 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str, about: str = "") -> list[email.message.EmailMessage]:
        """Messages to ``address`` whose text names ``about`` (other tests' appeals reach the
        service too: it reads every topic from the beginning)."""
        return [m for m in self.messages if m["To"] == address and about in m["Subject"] + m.get_content()]


class SmsGateway:
    """A real HTTP server playing the SMS gateway: checks the token, keeps the messages."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                ok = self.headers.get("Authorization") == f"Bearer {TOKEN}"
                if ok:
                    gateway.messages.append(body)
                self.send_response(200 if ok else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def to(self, phone: str, about: str = "") -> list[dict]:
        return [m for m in self.messages if m["to"] == phone and about in m["text"]]


@pytest.fixture
def providers():
    mailbox, sms = Mailbox(), SmsGateway()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    sms.thread.start()
    yield mailbox, smtp.port, sms
    smtp.stop()
    sms.server.shutdown()


def start_notification(stack: StackInfo, log_dir: Path, smtp_port: int, sms: SmsGateway, **env: str) -> ServiceProcess:
    process = ServiceProcess(NOTIFICATION, stack, log_dir, extra_env={
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMS_GATEWAY_URL": sms.url,
        "SMS_GATEWAY_TOKEN": TOKEN, "SMS_QUIET_HOURS": "", "DELIVERY_RETRY_INITIAL_S": "0.3", "DELIVERY_RETRY_CEILING_S": "1",
        "DELIVERY_MAX_ATTEMPTS": "50", "DELIVERY_POLL_INTERVAL_S": "0.2",
        # Each message alone: these tests follow every message's order and retries one by one.
        "EXECUTOR_DIGEST_SIZE": "1", **env}).start()
    process.wait_ready(timeout_s=90)
    return process


def record(event, appeal_id: uuid.UUID) -> tuple:
    envelope = Envelope.wrap(event, source="/test", subject=str(appeal_id), time=Clock().now())
    return str(appeal_id).encode(), envelope.kafka_value(), envelope.kafka_headers()


def registered(appeal: uuid.UUID, number: str, *, channel: str = "contact_centre", language: str = "ru",
               contact: CitizenContact | None = None) -> AppealRegistered:
    return AppealRegistered(appeal_id=appeal, registration_number=number, channel=channel,
                            social_network="telegram" if channel == "social_network" else None,
                            channel_message_id=f"m-{appeal.hex}", kind="complaint", category="road_repair",
                            district="medeu", text="Pothole", language=language, anonymous=contact is None,
                            citizen=contact, registered_at=Clock().now())


def scheduled(appeal: uuid.UUID, due: datetime = D1) -> DeadlineScheduled:
    return DeadlineScheduled(appeal_id=appeal, policy_code="seed.calendar_15", regime="seed", due_at=due,
                             scheduled_at=Clock().now())


def assigned(appeal: uuid.UUID, number: str, executor: str) -> AppealAssigned:
    return AppealAssigned(appeal_id=appeal, registration_number=number, executor_code=executor,
                          reason="routing_rule", rule_id="r1", category="road_repair", district="medeu",
                          assigned_at=Clock().now())




def ledger(process: ServiceProcess, appeal: uuid.UUID) -> list[dict]:
    return httpx.get(f"{process.base_url}/v1/appeals/{appeal}/notifications", timeout=10,
                     headers=process.stack.bearer("sre-1", "sre")).json()


def template_of(process: ServiceProcess, appeal: uuid.UUID, message_id: str) -> str:
    """The ledger row behind a delivered message (its Message-ID is the notification id)."""
    return next(r["template"] for r in ledger(process, appeal) if r["notification_id"] in message_id)


async def reset_offsets(bootstrap: str) -> None:
    """Rewind notification's consumer group to the start of every topic it reads, as its only
    member (the broker accepts commits from members only)."""
    consumer = AIOKafkaConsumer(*TOPICS, bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False)
    await consumer.start()
    try:
        async def assigned() -> bool:
            await consumer.getmany(timeout_ms=200, max_records=1)
            return len(consumer.assignment()) == 4 * len(TOPICS)

        await eventually(assigned, timeout_s=60, interval_s=0, what="the group's partitions")
        await consumer.commit({tp: 0 for tp in consumer.assignment()})
    finally:
        await consumer.stop()


async def caught_up(bootstrap: str) -> bool:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(t, p) for t in TOPICS for p in consumer.partitions_for_topic(t) or ()]
        ends = await consumer.end_offsets(partitions)
        committed = {tp: await consumer.committed(tp) or 0 for tp in partitions}
        return all(committed[tp] >= ends[tp] for tp in partitions)
    finally:
        await consumer.stop()


async def test_lifecycle_outage_and_redelivery(stack: StackInfo, providers, tmp_path: Path):
    mailbox, smtp_port, sms = providers
    bootstrap = stack.bootstrap_servers
    service = start_notification(stack, tmp_path / "logs", smtp_port, sms)
    try:
        a, b, c, d = (uuid.uuid4() for _ in range(4))
        tag = a.hex[:6]
        num = {x: f"OA-2026-{tag}{i:02d}" for i, x in enumerate((a, b, c, d))}
        a_mail, b_phone = f"citizen-{tag}@example.org", f"+7701{int(a.hex[:8], 16) % 10**7:07d}"
        medeu, almaly = "appeals@medeu.almaty.example", "appeals@almaly.almaty.example"
        inspectors = "inspectors@open.almaty.example"

        # Registration (every event twice) and the due time: on different topics, in any order.
        await produce(bootstrap, "appeals.registered.v1", [
            record(registered(a, num[a], channel="portal", contact=CitizenContact(email=a_mail, preferred_language="kk")), a),
            record(registered(b, num[b], channel="front_office", contact=CitizenContact(phone=b_phone)), b),
            record(registered(c, num[c], channel="social_network", language="en",
                              contact=CitizenContact(name="C")), c),
            record(registered(d, num[d]), d),  # anonymous: nobody to write to
        ] * 2)
        await produce(bootstrap, "appeals.deadlines.v1", [record(scheduled(x), x) for x in (a, b, c, d)] * 2)
        await eventually(lambda: mailbox.to(a_mail) and sms.to(b_phone), timeout_s=120, what="registration notices")
        outbound = await read_topic(bootstrap, "notifications.outbound.social_network.v1",
                                    until=lambda rs: any(r.key == str(c).encode() for r in rs), timeout_s=60)

        async def step(topic: str, event, appeal: uuid.UUID, done: Callable[[], object], what: str) -> None:
            await produce(bootstrap, topic, [record(event, appeal)] * 2)
            await eventually(done, what=what)

        await step("appeals.assigned.v1", assigned(a, num[a], "medeu_akimat"), a,
                   lambda: len(mailbox.to(a_mail)) == 2 and mailbox.to(medeu, tag), "A assigned")
        await step("appeals.assigned.v1", assigned(b, num[b], "almaly_akimat"), b,
                   lambda: len(sms.to(b_phone)) == 2 and mailbox.to(almaly, tag), "B assigned")
        await step("appeals.deadlines.v1", DeadlineExtended(appeal_id=a, previous_due_at=D1, due_at=D2,
                                                           reason="On-site inspection", extended_at=Clock().now()),
                   a, lambda: len(mailbox.to(a_mail)) == 3, "A extended")
        await step("appeals.deadlines.v1", DeadlineApproaching(appeal_id=a, due_at=D2, remind_at=Clock().now()),
                   a, lambda: len(mailbox.to(medeu, tag)) == 2, "A approaching")
        answer = uuid.uuid4()
        await step("appeals.inspections.v1", AnswerReturned(
            appeal_id=a, answer_id=answer, executor_code="medeu_akimat", employee_id="md-7", inspector_id="i-1",
            reason_code="formal_reply", comment="Name the repair date", decided_at=Clock().now()),
            a, lambda: len(mailbox.to(medeu, tag)) == 3, "A returned")
        await step("appeals.deadlines.v1", DeadlineBreached(appeal_id=a, due_at=D2, breached_at=Clock().now()),
                   a, lambda: len(mailbox.to(a_mail)) == 4 and mailbox.to(inspectors, tag), "A breached")
        await step("appeals.inspections.v1", AnswerAccepted(
            appeal_id=a, answer_id=uuid.uuid4(), executor_code="medeu_akimat", employee_id="md-7", inspector_id="i-1",
            answer_text="The road is repaired.", answer_language="ru", answer_submitted_at=Clock().now(),
            decided_at=Clock().now()), a, lambda: len(mailbox.to(a_mail)) == 5, "A accepted")
        # End marker: a later event of A on the same partition, whose message goes through the
        # same worker; once it is there, a duplicate of anything before it would be there too.
        await step("appeals.inspections.v1", AnswerReturned(
            appeal_id=a, answer_id=uuid.uuid4(), executor_code="medeu_akimat", employee_id="md-7", inspector_id="i-1",
            reason_code="formal_reply", comment="Name the repair date", decided_at=Clock().now()),
            a, lambda: len(mailbox.to(medeu, tag)) == 4, "end marker")

        # Exactly the table's messages, in order per recipient, each once, right language,
        # each with the number and the due time in force.
        def sent(address: str, appeal: uuid.UUID) -> list[tuple[str, str]]:
            return [(template_of(service, appeal, m["Message-ID"]), m["Content-Language"])
                    for m in mailbox.to(address, num[appeal])]

        assert sent(a_mail, a) == [("citizen.registered", "kk"), ("citizen.assigned", "kk"),
                                   ("citizen.extended", "kk"), ("citizen.breach_apology", "kk"),
                                   ("citizen.answer_accepted", "kk")]
        assert sent(medeu, a) == [("executor.assigned", "ru"), ("executor.deadline_approaching", "ru"),
                                  ("executor.answer_returned", "ru"), ("executor.answer_returned", "ru")]
        assert sent(inspectors, a) == [("inspectors.deadline_breached", "ru")]
        assert sent(almaly, b) == [("executor.assigned", "ru")]
        for message in mailbox.to(a_mail) + mailbox.to(medeu, tag) + mailbox.to(inspectors, tag):
            text = message["Subject"] + message.get_content()
            assert num[a] in text
            assert (D1_TEXT if template_of(service, a, message["Message-ID"]) in ("citizen.registered",
                                                                                   "citizen.assigned",
                                                                                   "executor.assigned")
                    else D2_TEXT) in text
        kk_text = mailbox.to(a_mail)[0].get_content()
        assert "тіркелді" in mailbox.to(a_mail)[0]["Subject"] + kk_text
        assert "The road is repaired." in mailbox.to(a_mail)[-1].get_content()
        assert "Name the repair date" in mailbox.to(medeu, tag)[-1].get_content()
        assert [num[b] in m["text"] and D1_TEXT in m["text"] for m in sms.to(b_phone)] == [True, True]
        c_replies = [json.loads(r.value) for r in outbound if r.key == str(c).encode()]
        assert len(c_replies) == 1 and c_replies[0]["language"] == "en" and num[c] in c_replies[0]["text"]
        assert D1_TEXT in c_replies[0]["text"] and c_replies[0]["channel_message_id"] == f"m-{c.hex}"
        assert [(r["template"], r["status"]) for r in ledger(service, d)] == [("citizen.registered", "skipped")]
        assert all(r["status"] == "delivered" and r["attempts"] == 1 for x in (a, b, c) for r in ledger(service, x))
        results = await read_topic(bootstrap, "notifications.delivery.v1", until=lambda rs: sum(
            r.key == str(a).encode() for r in rs) >= 9, timeout_s=30)
        assert {header(r, "ce_type") for r in results if r.key == str(a).encode()} == {"notification.delivered"}

        async def marker_appeal(executor: str) -> uuid.UUID:
            """A new appeal of this test: its citizen and its executor are each written to once."""
            x = uuid.uuid4()
            num[x] = f"OA-2026-{tag}{90 + len(num):02d}"
            await produce(bootstrap, "appeals.registered.v1", [
                record(registered(x, num[x], contact=CitizenContact(email=f"{x.hex}@example.org")), x)])
            await produce(bootstrap, "appeals.deadlines.v1", [record(scheduled(x), x)])
            await produce(bootstrap, "appeals.assigned.v1", [record(assigned(x, num[x], executor), x)])
            return x

        # SMTP refuses for a while: SMS still goes out, e-mail waits and then drains in order.
        mailbox.refusing = True
        e = [uuid.uuid4() for _ in range(3)]
        f = uuid.uuid4()
        f_phone = f"+7702{int(f.hex[:8], 16) % 10**7:07d}"
        turksib = "appeals@turksib.almaty.example"
        for i, x in enumerate(e + [f]):
            num[x] = f"OA-2026-{tag}{10 + i:02d}"
            contact = CitizenContact(phone=f_phone) if x == f else CitizenContact(email=f"e{i}-{tag}@example.org")
            await produce(bootstrap, "appeals.registered.v1", [record(registered(x, num[x], contact=contact), x)])
            await produce(bootstrap, "appeals.deadlines.v1", [record(scheduled(x), x)])
            await produce(bootstrap, "appeals.assigned.v1", [record(assigned(x, num[x], "turksib_akimat"), x)])
            # One at a time, so the executor's queue order is known.
            await eventually(lambda x=x: sum(r["status"] != "waiting" for r in ledger(service, x)) == 3,
                             what="notices written")
        await eventually(lambda: len(sms.to(f_phone)) == 2, what="SMS during the SMTP outage")
        await eventually(lambda: all(r["attempts"] >= 2 for r in ledger(service, e[0])
                                     if r["template"] == "citizen.registered"), what="retries")
        assert not mailbox.to(turksib, tag)
        mailbox.refusing = False
        await eventually(lambda: len(mailbox.to(turksib, tag)) == 4, timeout_s=60, what="drain after the outage")
        # End marker: one more message to the same executor queues behind the four; once it
        # is there, a duplicate of any of them would have come before it.
        g = await marker_appeal("turksib_akimat")
        await eventually(lambda: len(mailbox.to(turksib, tag)) == 5, what="end marker")
        assert [m["Subject"] for m in mailbox.to(turksib, tag)] == [
            next(m["Subject"] for m in mailbox.to(turksib, tag) if num[x] in m["Subject"]) for x in e + [f, g]]
        for i, x in enumerate(e):
            got = [template_of(service, x, m["Message-ID"]) for m in mailbox.to(f"e{i}-{tag}@example.org")]
            assert got == ["citizen.registered", "citizen.assigned"]
        retried = [r for r in ledger(service, e[0]) if r["template"] == "citizen.registered"][0]
        assert retried["status"] == "delivered" and retried["attempts"] >= 2
        assert [a["outcome"] for a in retried["attempt_log"]][-1] == "delivered"
        assert {a["outcome"] for a in retried["attempt_log"][:-1]} == {"retry"}
        assert all("451" in a["error"] for a in retried["attempt_log"][:-1])

        # Redelivery: rewind the consumer group to the beginning; nothing new is sent.
        def ours() -> tuple[int, int]:
            return (sum(tag in m["Subject"] + m.get_content() for m in mailbox.messages),
                    sum(tag in m["text"] for m in sms.messages))
        counts = ours()
        ledgers = {x: ledger(service, x) for x in (a, b, c, d, *e, f)}
        service.stop()
        await reset_offsets(bootstrap)
        assert not await caught_up(bootstrap)
        service = start_notification(stack, tmp_path / "logs", smtp_port, sms)
        await eventually(lambda: caught_up(bootstrap), timeout_s=90, interval_s=0.5, what="the rewound group")
        # End marker: a new appeal's message through the same worker after the catch-up.
        await marker_appeal("almaly_akimat")
        await eventually(lambda: ours() == (counts[0] + 3, counts[1]), what="end marker")  # registered, assigned x2
        assert {x: ledger(service, x) for x in ledgers} == ledgers
        outbound = await read_to_end(bootstrap, "notifications.outbound.social_network.v1")
        assert sum(r.key == str(c).encode() for r in outbound) == 1
    finally:
        service.stop()


async def test_a_template_failing_at_run_time_dead_letters_its_event(stack: StackInfo, providers, tmp_path: Path):
    mailbox, smtp_port, sms = providers
    broken = tmp_path / "templates"
    shutil.copytree(Templates().directory, broken)
    path = broken / "en" / "citizen.registered.txt.j2"
    path.write_text(path.read_text("utf-8") + "\nDear {{ citizen_title }}\n", "utf-8")
    service = start_notification(stack, tmp_path / "logs", smtp_port, sms, TEMPLATES_DIR=str(broken))
    try:
        g, h = uuid.uuid4(), uuid.uuid4()
        address = f"g-{g.hex[:6]}@example.org"
        await produce(bootstrap := stack.bootstrap_servers, "appeals.registered.v1", [
            record(registered(g, "OA-2026-G", language="en", contact=CitizenContact(email=address)), g),
            record(registered(h, "OA-2026-H", language="ru", contact=CitizenContact(email=f"h{address}")), h)])
        await produce(bootstrap, "appeals.deadlines.v1", [record(scheduled(g), g), record(scheduled(h), h)])
        # Whichever of the two events completes the facts is the one that cannot be applied.
        async def dead_letter_reason() -> str | None:
            for topic in ("appeals.deadlines.v1.dlq.notification", "appeals.registered.v1.dlq.notification"):
                dead = await read_to_end(bootstrap, topic)
                if reason := next((header(r, "dlq_reason") for r in dead if r.key == str(g).encode()), None):
                    return reason
            return None

        reason = await eventually(dead_letter_reason, what="the dead letter")
        assert "en/citizen.registered" in reason and "citizen_title" in reason
        await eventually(lambda: mailbox.to(f"h{address}"), what="the other appeal's notice")
        assert not mailbox.to(address), "never a half-written message"
        # Nothing written for g: at most the notice of the event that did apply, still waiting.
        assert all(r["status"] == "waiting" and r["subject"] is None for r in ledger(service, g))
    finally:
        service.stop()
