"""The adapter's use cases over hand-written fakes of the mailbox, intake, the broker and SMTP
(the real ones: tests/integration/test_mail.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealIntakeRejected, OutboundNotification, RejectionReason
from appeals_mail import handlers
from appeals_mail.adapters.mailbox import Waiting

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def letter(message_id: str, body: str, *, sender: str = "Dana <dana@mail.kz>", refs: str = "",
           photo: bool = False) -> bytes:
    m = EmailMessage()
    m["From"], m["Subject"], m["Message-ID"] = sender, "Swings", message_id
    if refs:
        m["In-Reply-To"], m["References"] = refs.split()[-1], refs
    m.set_content(body)
    if photo:
        m.add_attachment(b"\xff\xd8\xff" + b"0" * 64, maintype="image", subtype="jpeg", filename="p.jpg")
    return m.as_bytes()


class FakeMailbox:
    registered, incomplete = "Registered", "Incomplete"

    def __init__(self, **folders: list[bytes]) -> None:
        self.folders = {"INBOX": [], "Registered": [], "Incomplete": [], **folders}
        self.flags: dict[str, set[str]] = {}

    def _uid(self, folder: str, raw: bytes) -> str:
        return f"{folder}:{self.folders[folder].index(raw)}"

    async def prepare(self) -> None:
        pass

    async def waiting(self):
        return [Waiting(self._uid("INBOX", r), len(r), frozenset(self.flags.get(self._uid("INBOX", r), ())))
                for r in self.folders["INBOX"]]

    async def fetch(self, uid, folder="INBOX", *, headers_only=False):
        raw = self.folders[uid.split(":")[0]][int(uid.split(":")[1])]
        return raw.split(b"\n\n")[0] + b"\n\n" if headers_only else raw

    async def find(self, message_id, folders=None):
        for folder in folders or ("INBOX", "Registered", "Incomplete"):
            for raw in self.folders[folder]:
                if f"Message-ID: {message_id}".encode() in raw:
                    return folder, self._uid(folder, raw)
        return None

    async def move(self, uid, folder, *, source="INBOX"):
        raw = self.folders[source][int(uid.split(":")[1])]
        self.folders[source].remove(raw)
        self.folders[folder].append(raw)

    async def flag(self, uid, keyword, folder="INBOX"):
        self.flags.setdefault(uid, set()).add(keyword)


class FakeIntake:
    def __init__(self) -> None:
        self.files: list[str] = []

    async def upload(self, data, content_type):
        self.files.append(content_type)
        return str(uuid.uuid4())


class FakeBroker:
    def __init__(self) -> None:
        self.records: list = []

    async def send_all(self, records):
        self.records += records
        return [None] * len(records)


class FakeSmtp:
    def __init__(self) -> None:
        self.sent: list = []

    async def send(self, reply):
        self.sent.append(reply)


def ports(box: FakeMailbox, max_bytes: int = 10_000) -> handlers.Ports:
    return handlers.Ports(box, FakeIntake(), FakeBroker(), FakeSmtp(), domain="city.example",
                          category="other_akimat_matters", max_bytes=max_bytes)


async def test_a_letter_is_published_with_its_photo_and_a_letter_too_large_is_told_once_and_kept():
    big = letter("<big@mail.kz>", "x" * 20_000)
    box = FakeMailbox(INBOX=[letter("<1@mail.kz>", "The swings in the yard are broken.", photo=True), big])
    p = ports(box)
    done = await handlers.take_in(p, await box.waiting(), now=NOW)
    assert (done.submitted, done.held) == (1, 1) and p.attachments.files == ["image/jpeg"]
    [record] = p.publisher.records
    event = Envelope.from_kafka(record.headers, record.value).data
    assert record.key == b"email:<1@mail.kz>" and event["channel_message_id"] == "<1@mail.kz>"
    assert len(event["attachments"]) == 1 and event["citizen"]["email"] == "dana@mail.kz"
    [told] = p.smtp.sent
    assert told.template == "mail.too_large" and told.in_reply_to == "<big@mail.kz>"
    await handlers.take_in(p, await box.waiting(), now=NOW)
    assert len(p.smtp.sent) == 1 and big in box.folders["INBOX"]  # told once, kept


async def test_a_refusal_is_answered_in_the_thread_and_the_letter_waits_until_a_reply_registers_it():
    box = FakeMailbox(INBOX=[letter("<2@mail.kz>", "Мусор не вывозят третий день.", sender="anon@mail.kz")])
    p = ports(box)
    refused = AppealIntakeRejected(channel="email", channel_message_id="<2@mail.kz>", rejected_at=NOW,
                                   reasons=(RejectionReason(field="citizen.name", message="required"),))
    await handlers.on_rejected(p, refused)
    [asked] = p.smtp.sent
    assert asked.template == "mail.missing" and asked.language == "ru" and "ФИО" in asked.body
    assert box.folders["INBOX"] == [] and len(box.folders["Incomplete"]) == 1
    await handlers.on_rejected(p, refused)  # redelivered: not told twice
    assert len(p.smtp.sent) == 1
    box.folders["INBOX"].append(letter("<3@mail.kz>", "ФИО: Ерлан Касымов", sender="anon@mail.kz",
                                       refs=f"<2@mail.kz> {asked.message_id}"))
    await handlers.take_in(p, await box.waiting(), now=NOW)
    event = Envelope.from_kafka(p.publisher.records[-1].headers, p.publisher.records[-1].value).data
    assert event["citizen"]["name"] == "Ерлан Касымов" and "Мусор" in event["text"]
    registered = OutboundNotification(notification_id=uuid.uuid4(), appeal_id=uuid.uuid4(), channel="email",
                                      channel_message_id="<3@mail.kz>", language="ru", template="citizen.registered",
                                      text="Обращение OA-2026-00000001\n\nЗарегистрировано.", created_at=NOW)
    await handlers.on_outbound(p, registered)
    reply = p.smtp.sent[-1]
    assert reply.in_reply_to == "<3@mail.kz>" and reply.references[0] == "<2@mail.kz>"
    assert "OA-2026-00000001" in reply.body and reply.subject == "Re: Swings"
    assert len(box.folders["Registered"]) == 2 and box.folders["Incomplete"] == box.folders["INBOX"] == []


async def test_a_malformed_record_is_parked_on_the_adapters_dead_letter_topic_with_the_reason():
    from aiokafka import ConsumerRecord

    from appeals_mail import worker
    from appeals_runtime.clock import FixedClock

    record = ConsumerRecord("appeals.intake-rejected.v1", 2, 17, 0, 0, b"email:<x@y>", b"not json", None, 8, 3,
                            [("ce_id", b"1"), ("ce_type", b"appeal.intake_rejected"), ("ce_source", b"/intake"),
                             ("ce_time", b"2026-12-02T10:00:00Z")])
    reason = worker._event(record)
    assert isinstance(reason, str) and "not JSON" in reason
    p = ports(FakeMailbox())
    await worker._dead_letter(p, record, reason, FixedClock(NOW))
    [parked] = p.publisher.records
    headers = dict(parked.headers)
    assert parked.topic == "appeals.intake-rejected.v1.dlq.mail" and parked.value == b"not json"
    assert headers["dlq_service"] == b"mail" and headers["dlq_original_offset"] == b"17"
