"""The e-mail channel against a real IMAP server (Debian's Dovecot, started here), a real SMTP
server (the mail sink), the real broker and PostgreSQL and the services: what the issue's
acceptance asks for.

- A letter with a photo becomes an appeal with that photo; its citizen gets the registration
  reply in the same thread (In-Reply-To, References), and the letter moves to "Registered".
- A letter without a name gets the "what is missing" reply in its thread, in its language
  (Kazakh for a Kazakh letter); the reply that completes it is registered once, even when the
  mailbox holds it twice.
- An IMAP outage in the middle loses nothing: every letter is registered once afterwards.
"""

from __future__ import annotations

import asyncio
import imaplib
import io
import uuid
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid

import httpx
import pytest
from PIL import Image

from appeals_devstack.mailbox import Dovecot
from appeals_devstack.processes import services_running
from appeals_devstack.sinks import MailSink
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually

pytestmark = pytest.mark.integration

PLATFORM = ("intake", "routing", "deadline-tracker", "notification", "mail")
TAG = uuid.uuid4().hex[:8]
CITY = "appeals@city.example"


@pytest.fixture(scope="module")
def platform(own_stack: StackInfo, tmp_path_factory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("mail")
    box = Dovecot(root / "dovecot", user=CITY).start()
    sink = MailSink(root / "sent").start()
    account = box.account
    env = {"mail": {"IMAP_HOST": account.host, "IMAP_PORT": str(account.port), "IMAP_TLS": "false",
                    "IMAP_USER": account.user, "IMAP_PASSWORD": account.password, "MAIL_ADDRESS": CITY,
                    "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port), "MAIL_POLL_S": "0.5",
                    "MAIL_MAX_BYTES": str(2 * 1024 * 1024)},
           "notification": {"DELIVERY_POLL_INTERVAL_S": "0.2"}}
    try:
        with services_running(own_stack, root / "logs", PLATFORM, env=env) as processes:
            yield {"processes": processes, "box": box, "sink": sink}
    finally:
        sink.stop()
        box.close()


def letter(sender: str, subject: str, body: str, *, name: str | None = None, photo: bool = False,
           in_reply_to: str | None = None, references: tuple[str, ...] = (), html: bool = False) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>" if name else sender
    message["To"] = CITY
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.example.kz")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = " ".join(references)
    if html:
        message.set_content(body)
        message.add_alternative(f"<html><body><p>{body}</p><blockquote>старое письмо</blockquote></body></html>",
                                subtype="html")
    else:
        message.set_content(body)
    if photo:
        image = io.BytesIO()
        Image.new("RGB", (640, 480), (90, 120, 60)).save(image, "JPEG")
        message.add_attachment(image.getvalue(), maintype="image", subtype="jpeg", filename="yard.jpg")
    return message


def deliver(box: Dovecot, *messages: EmailMessage) -> None:
    """As the city's mail server delivers: straight into the INBOX (IMAP APPEND)."""
    account = box.account
    client = imaplib.IMAP4(account.host, account.port)
    client.login(account.user, account.password)
    for message in messages:
        assert client.append("INBOX", None, None, message.as_bytes())[0] == "OK"
    client.logout()


def folder_ids(box: Dovecot, folder: str) -> list[str]:
    account = box.account
    client = imaplib.IMAP4(account.host, account.port)
    client.login(account.user, account.password)
    client.select(f'"{folder}"')
    _, data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    client.logout()
    return [p[1].decode().split(":", 1)[1].strip() for p in data if isinstance(p, tuple)]


def sent(sink: MailSink) -> list[EmailMessage]:
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(sink.directory.glob("*.eml"))]


def replies_to(sink: MailSink, message_id: str, template: str = "citizen.registered") -> list[EmailMessage]:
    return [m for m in sent(sink) if m["In-Reply-To"] == message_id and m["X-Appeals-Template"] == template]


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


async def appeals_of(own_stack: StackInfo, intake: str, email: str) -> list[dict]:
    async with httpx.AsyncClient(base_url=intake, timeout=30, headers=own_stack.bearer("op-mail", "operator")) as c:
        reply = await c.post("/v1/callers/appeals", json={"email": email})
        assert reply.status_code == 200, reply.text
        return reply.json()


async def test_a_letter_with_a_photo_is_registered_and_answered_in_its_thread(own_stack: StackInfo, platform):
    box, sink, intake = platform["box"], platform["sink"], platform["processes"]["intake"].base_url
    sender = f"dana-{TAG}@mail.example.kz"
    first = letter(sender, "Сломаны качели во дворе", f"Во дворе на Абая 10 сломаны качели, дети падают. {TAG}\n\n"
                   "-- \nДана, с телефона", name="Дана Серикова", photo=True, html=True)
    deliver(box, first)
    [reply] = await eventually(lambda: replies_to(sink, first["Message-ID"]), "the registration reply", timeout_s=90)
    assert first["Message-ID"] in reply["References"] and reply["From"] == CITY and reply["To"] == sender
    assert reply["Subject"] == "Re: Сломаны качели во дворе"
    found = await appeals_of(own_stack, intake, sender)
    assert len(found) == 1, [(a["registration_number"], a["registered_at"]) for a in found]
    [appeal] = found
    assert appeal["registration_number"] in text_of(reply) and appeal["channel"] == "email"
    await eventually(lambda: first["Message-ID"] in folder_ids(box, "Registered"), "the letter in Registered")
    async with httpx.AsyncClient(base_url=intake, timeout=30, headers=own_stack.bearer("insp-mail", "inspector")) as c:
        staff = (await c.get(f"/v1/appeals/{appeal['registration_number']}")).json()
    assert staff["kind"] == "statement" and staff["category"] == "other_akimat_matters"
    routing = platform["processes"]["routing"].base_url
    async with httpx.AsyncClient(base_url=routing, timeout=30, headers=own_stack.bearer("insp-mail", "inspector")) as c:
        async def case():
            held = staff["executor_code"] or (await c.get(f"/v1/appeals/{appeal['appeal_id']}/assignments")).json()
            code = held if isinstance(held, str) else (held[-1]["executor_code"] if held else None)
            reply = await c.get(f"/v1/executors/{code}/appeals/{appeal['appeal_id']}") if code else None
            return reply.json() if reply is not None and reply.status_code == 200 else None
        found = await eventually(case, "the case at its executor")
    [photo] = found["case"]["attachments"]
    assert photo["content_type"] == "image/jpeg"
    assert TAG in found["case"]["text"] and "Дана, с телефона" not in found["case"]["text"]  # no signature
    assert "старое письмо" not in found["case"]["text"]


async def test_a_letter_without_a_name_is_told_what_is_missing_and_its_completing_reply_registers_once(
        own_stack: StackInfo, platform):
    box, sink, intake = platform["box"], platform["sink"], platform["processes"]["intake"].base_url
    sender = f"anon-{TAG}@mail.example.kz"
    first = letter(sender, "Мусор во дворе", f"Третий день не вывозят мусор с площадки у дома 5. {TAG}")
    deliver(box, first)
    [asked] = await eventually(lambda: replies_to(sink, first["Message-ID"], "mail.missing"), "the what-is-missing reply",
                               timeout_s=90)
    assert "ФИО" in text_of(asked) and asked["Content-Language"] == "ru"
    await eventually(lambda: first["Message-ID"] in folder_ids(box, "Incomplete"), "the letter kept as incomplete")
    completing = letter(sender, "Re: Мусор во дворе", "ФИО: Ерлан Касымов\n\n> Третий день не вывозят мусор",
                        in_reply_to=asked["Message-ID"], references=(first["Message-ID"], asked["Message-ID"]))
    deliver(box, completing, completing)  # the same letter twice in the mailbox: registered once
    await eventually(lambda: replies_to(sink, completing["Message-ID"]), "the registration reply", timeout_s=90)
    await asyncio.sleep(3)  # rounds go on: nothing more may come of the second copy
    [appeal] = await appeals_of(own_stack, intake, sender)
    assert len(replies_to(sink, completing["Message-ID"])) == 1
    async with httpx.AsyncClient(base_url=intake, timeout=30, headers=own_stack.bearer("insp-mail", "inspector")) as c:
        staff = (await c.get(f"/v1/appeals/{appeal['registration_number']}")).json()
    assert staff["channel"] == "email"
    await eventually(lambda: first["Message-ID"] in folder_ids(box, "Registered"), "the first letter registered too")


async def test_a_kazakh_letter_is_answered_in_kazakh(own_stack: StackInfo, platform):
    box, sink = platform["box"], platform["sink"]
    sender = f"kk-{TAG}@mail.example.kz"
    first = letter(sender, "Көшедегі шам", f"Үйіміздің жанындағы көше шамы үш күннен бері жанбайды. {TAG}")
    deliver(box, first)
    [asked] = await eventually(lambda: replies_to(sink, first["Message-ID"], "mail.missing"), "the what-is-missing reply",
                               timeout_s=90)
    assert "Аты-жөні" in text_of(asked) and asked["Content-Language"] == "kk"


async def test_a_letter_too_large_is_told_once_and_kept(own_stack: StackInfo, platform):
    box, sink = platform["box"], platform["sink"]
    big = letter(f"big-{TAG}@mail.example.kz", "Фото двора", f"Много фотографий двора. {TAG}", name="Айгерим")
    big.add_attachment(b"\xff\xd8\xff" + bytes(3 * 1024 * 1024), maintype="image", subtype="jpeg", filename="a.jpg")
    deliver(box, big)
    [told] = await eventually(lambda: replies_to(sink, big["Message-ID"], "mail.too_large"), "the too-large reply",
                              timeout_s=60)
    assert "2 МБ" in text_of(told)
    await asyncio.sleep(2)  # more rounds: told once, and the letter stays in the INBOX
    assert len(replies_to(sink, big["Message-ID"], "mail.too_large")) == 1
    assert big["Message-ID"] in folder_ids(box, "INBOX")


async def test_an_imap_outage_in_the_middle_loses_nothing(own_stack: StackInfo, platform):
    box, sink, intake = platform["box"], platform["sink"], platform["processes"]["intake"].base_url
    senders = [f"outage{i}-{TAG}@mail.example.kz" for i in range(3)]
    letters_ = [letter(s, f"Яма на дороге {i}", f"На улице Жандосова {i} глубокая яма на проезжей части. {TAG}",
                       name=f"Житель {i}") for i, s in enumerate(senders)]
    deliver(box, *letters_)
    box.stop()  # the mailbox goes away while the letters are being taken and answered
    await asyncio.sleep(4)
    box.start()
    for message in letters_:
        await eventually(lambda m=message: replies_to(sink, m["Message-ID"]), "a registration reply after the outage",
                         timeout_s=120)
    for s in senders:
        assert len(await appeals_of(own_stack, intake, s)) == 1
    assert all(len(replies_to(sink, m["Message-ID"])) == 1 for m in letters_)
