"""The e-mail channel's use cases, over the mailbox (IMAP), intake's attachments, the broker and
SMTP (:class:`Ports`). Plain async functions.

A letter stays in the INBOX until the platform's registration reply for it comes back on
``notifications.outbound.email.v1``; then it moves to the registered folder. A letter intake
refuses gets the "what is missing" reply in its thread and moves to the incomplete folder; a
reply in that thread is read together with it, and registers once (its Message-ID is the key).
Every round hands the INBOX's letters to intake again until they are registered: intake's
idempotency makes a repeat harmless, and a restart or an outage loses nothing."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealIntakeRejected, AppealSubmitted, OutboundNotification
from appeals_mail import metrics
from appeals_mail.domain import letters, replies
from appeals_mail.domain.letters import Letter, Unreadable
from appeals_runtime.publisher import Record

log = logging.getLogger(__name__)

#: IMAP keywords the adapter sets: a letter told it is too large is not told again.
TOLD_TOO_LARGE = "$AppealsTooLarge"


@dataclass(frozen=True)
class Waiting:
    uid: str
    size: int
    flags: frozenset[str]


@dataclass(frozen=True)
class Reply:
    to: str
    subject: str
    body: str
    in_reply_to: str
    references: tuple[str, ...]
    message_id: str
    language: str
    template: str  # what the letter is (the platform's template, or missing / too_large): a header for filters


class MailboxApi(Protocol):
    registered: str
    incomplete: str

    async def prepare(self) -> None: ...
    async def waiting(self) -> list[Waiting]: ...
    async def fetch(self, uid: str, folder: str = "INBOX", *, headers_only: bool = False) -> bytes | None: ...
    async def find(self, message_id: str, folders: tuple[str, ...] | None = None) -> tuple[str, str] | None: ...
    async def move(self, uid: str, folder: str, *, source: str = "INBOX") -> None: ...
    async def flag(self, uid: str, keyword: str, folder: str = "INBOX") -> None: ...


class AttachmentsApi(Protocol):
    async def upload(self, data: bytes, content_type: str) -> str | None: ...


class PublisherApi(Protocol):
    async def send_all(self, records: Sequence[Record]) -> list[BaseException | None]: ...


class SenderApi(Protocol):
    async def send(self, reply: Reply) -> None: ...


@dataclass(frozen=True)
class Ports:
    mailbox: MailboxApi
    attachments: AttachmentsApi
    publisher: PublisherApi
    smtp: SenderApi
    domain: str  # the city's mail domain, for the Message-IDs of the adapter's own letters
    category: str  # the category a letter is registered under (the triage desk sorts it)
    max_bytes: int


@dataclass
class Round:
    submitted: int = 0
    held: int = 0
    failed: list[str] = field(default_factory=list)


def _own_id(kind: str, answered: str, domain: str) -> str:
    return f"<{kind}-{hashlib.sha256(answered.encode()).hexdigest()[:32]}@{domain}>"


async def _earlier(ports: Ports, letter: Letter) -> list[Letter]:
    """The letters of the thread intake refused (in the incomplete folder), oldest first."""
    found: list[Letter] = []
    for reference in letter.references or ((letter.in_reply_to,) if letter.in_reply_to else ()):
        where = await ports.mailbox.find(reference, (ports.mailbox.incomplete,))
        if where is not None and (raw := await ports.mailbox.fetch(where[1], where[0])) is not None:
            try:
                found.append(letters.read(raw))
            except Unreadable:
                continue
    return found


def _record(body: dict[str, Any], now: datetime) -> Record:
    event = AppealSubmitted.model_validate(body)
    key = f"email:{event.channel_message_id}"
    envelope = Envelope.wrap(event, source="/adapters/email", subject=key, time=now)
    return Record("appeals.intake.v1", key.encode(), envelope.kafka_value(), envelope.kafka_headers())


async def take_in(ports: Ports, waiting: Sequence[Waiting], *, now: datetime) -> Round:
    """One round over the INBOX: each letter read, its files uploaded, published as
    ``appeal.submitted`` (acks from every in-sync replica); a letter too large is told so once
    and kept. A letter that cannot be handed over now stays for the next round."""
    done = Round()
    records: list[Record] = []
    for item in waiting:
        if item.size > ports.max_bytes:
            done.held += 1
            if TOLD_TOO_LARGE not in item.flags:
                await _too_large(ports, item)
            continue
        raw = await ports.mailbox.fetch(item.uid)
        if raw is None:
            continue
        try:
            letter = letters.read(raw)
        except Unreadable:
            metrics.LETTERS.labels("unreadable").inc()
            log.warning("a letter in the INBOX names no sender address: kept, not answered")
            done.held += 1
            continue
        metrics.MALFORMED_PARTS.inc(letter.malformed_parts)
        if letter.malformed_parts:
            log.warning("a letter had %d MIME part(s) that could not be read: the rest is taken",
                        letter.malformed_parts)
        earlier = await _earlier(ports, letter) if letter.in_reply_to or letter.references else []
        files = [ids for f in (*[f for e in earlier for f in e.attachments], *letter.attachments)
                 if (ids := await ports.attachments.upload(f.data, f.content_type)) is not None]
        records.append(_record(letters.submission(letter, earlier=earlier, category=ports.category,
                                                  attachments=files[:10]), now))
    if records:
        results = await ports.publisher.send_all(records)
        for record, failed in zip(records, results, strict=True):
            if failed is None:
                done.submitted += 1
                metrics.LETTERS.labels("submitted").inc()
            else:
                done.failed.append(type(failed).__name__)
    if done.failed:
        log.warning("%d letter(s) could not be published (%s): kept for the next round", len(done.failed),
                    ", ".join(sorted(set(done.failed))))
    return done


async def _too_large(ports: Ports, item: Waiting) -> None:
    raw = await ports.mailbox.fetch(item.uid, headers_only=True)  # the letter itself may be huge
    if raw is None:
        return
    try:
        letter = letters.read(raw)
    except Unreadable:
        return
    await ports.smtp.send(Reply(
        to=letter.sender, subject=letters.reply_subject(letter.subject, letter.language),
        body=replies.too_large(letter.language, ports.max_bytes // (1024 * 1024)),
        in_reply_to=letter.message_id, references=letters.thread_of(letter),
        message_id=_own_id("too-large", letter.message_id, ports.domain), language=letter.language,
        template="mail.too_large"))
    await ports.mailbox.flag(item.uid, TOLD_TOO_LARGE)
    metrics.LETTERS.labels("too_large").inc()
    metrics.REPLIES.labels("too_large").inc()
    log.warning("a letter of %d bytes is over MAIL_MAX_BYTES: the sender was told, the letter kept", item.size)


async def on_rejected(ports: Ports, event: AppealIntakeRejected) -> None:
    """Intake refused a letter: the reply in its thread says what is missing, in the letter's
    language, and the letter waits in the incomplete folder for the reply that completes it."""
    if event.channel != "email":
        return
    where = await ports.mailbox.find(event.channel_message_id, ("INBOX",))
    if where is None:
        return  # told before (a redelivered rejection), or no letter of this mailbox
    raw = await ports.mailbox.fetch(where[1])
    if raw is None:
        return
    letter = letters.read(raw)
    earlier = await _earlier(ports, letter)
    language = (earlier[0] if earlier else letter).language
    await ports.smtp.send(Reply(
        to=letter.sender, subject=letters.reply_subject(letter.subject, language),
        body=replies.missing([r.model_dump() for r in event.reasons], language),
        in_reply_to=letter.message_id, references=letters.thread_of(letter),
        message_id=_own_id("missing", letter.message_id, ports.domain), language=language,
        template="mail.missing"))
    await ports.mailbox.move(where[1], ports.mailbox.incomplete)
    metrics.REPLIES.labels("missing").inc()
    log.info("a letter was refused by intake (%s): the sender was told what is missing",
             ", ".join(sorted({r.field or "-" for r in event.reasons})))


async def on_outbound(ports: Ports, event: OutboundNotification) -> None:
    """A reply of the platform (registration, answer, …) for a letter: sent in the letter's thread;
    the letter, and the refused letters it completed, move to the registered folder."""
    where = await ports.mailbox.find(event.channel_message_id)
    if where is None:
        # an e-mail appeal that came another way (a demo's, a test's) has no letter to answer
        metrics.REPLIES.labels("no_letter").inc()
        log.debug("a reply of the platform names a letter this mailbox does not hold: not sent")
        return
    folder, uid = where
    raw = await ports.mailbox.fetch(uid, folder)
    if raw is None:
        return
    letter = letters.read(raw)
    subject, _, body = event.text.partition("\n\n")
    await ports.smtp.send(Reply(
        to=letter.sender, subject=letters.reply_subject(letter.subject, event.language or letter.language),
        body=f"{subject}\n\n{body}".strip(), in_reply_to=letter.message_id, references=letters.thread_of(letter),
        message_id=f"<{event.notification_id}@{ports.domain}>", language=event.language or letter.language,
        template=event.template))
    metrics.REPLIES.labels("platform").inc()
    if folder == "INBOX":
        for reference in letter.references:
            if (earlier := await ports.mailbox.find(reference, (ports.mailbox.incomplete,))) is not None:
                await ports.mailbox.move(earlier[1], ports.mailbox.registered, source=earlier[0])
        await ports.mailbox.move(uid, ports.mailbox.registered)
