"""Notification's use cases as plain async functions over a unit of work.

``on_events`` keeps the facts a batch of events brings and puts the notices of the table into
the ledger, rendering every notice whose facts are complete, in the same transaction (a
render failure rolls it all back, and the consumer finds and dead-letters the event);
``deliver_due`` hands written messages to a provider and records the outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID, uuid4

from appeals_contracts.base import Event
from appeals_contracts.envelope import Envelope
from appeals_contracts.registry import EVENT_TYPES
from appeals_contracts.events import (
    AnswerAccepted,
    AnswerReturned,
    AnswerShared,
    AppealAssigned,
    AppealMerged,
    AppealRegistered,
    AppealReopened,
    DeadlineApproaching,
    DeadlineBreached,
    DeadlineExtended,
    DeadlineScheduled,
)
from appeals_notification.domain import digest
from appeals_notification.domain.delivery import DeliveryBackoff, QuietHours
from appeals_notification.domain.digest import DigestPolicy
from appeals_notification.domain.ledger import Attempt, LedgerRow, NoticeRow, Written
from appeals_notification.domain.messages import (
    AppealFacts,
    Names,
    Recipients,
    context,
    is_ready,
    route,
)
from appeals_notification.domain.outgoing import DeliveryError, Outgoing, Renderer, Sender
from appeals_notification.domain.table import TABLE, Notice, notices_for


class AppealFactsRepository(Protocol):
    async def lock_many(self, appeal_ids: Sequence[UUID]) -> dict[UUID, AppealFacts]:
        """The appeals' facts (empty ones for an appeal not seen yet), their rows locked in
        ``appeal_ids``' order."""
        ...
    async def save_many(self, facts: Sequence[AppealFacts]) -> None: ...


class Ledger(Protocol):
    async def waiting_many(self, appeal_ids: Sequence[UUID]) -> dict[UUID, list[LedgerRow]]:
        """The appeals' waiting notices, each appeal's in the order they were added."""
        ...
    async def record_writing(self, new: Sequence[NoticeRow], written: Sequence[Written],
                             skipped: Sequence[tuple[UUID, str]], at: datetime) -> None:
        """Add the ``new`` notices (one already there for the same source event, audience and
        template is left alone) and record which were written, in that order (each recipient's
        queue), and which skipped with the reason."""
        ...
    async def claim_due(self, channel: str, now: datetime, limit: int) -> list[LedgerRow]: ...
    async def queued_behind(self, head: LedgerRow, limit: int) -> list[LedgerRow]:
        """Pending rows queued for the head's recipient behind it, in order, locked."""
        ...
    async def digested(self, head: UUID, behind: Sequence[UUID]) -> None: ...
    async def sending(self, notification_ids: Sequence[UUID], at: datetime) -> None: ...
    async def stale_sending(self, channel: str, before: datetime, limit: int) -> list[LedgerRow]: ...
    async def postpone(self, notification_id: UUID, until: datetime) -> None: ...
    async def attempted(self, attempts: Sequence[Attempt], at: datetime) -> set[UUID]:
        """Record attempts; returns the rows that changed (a final outcome is never replaced)."""
        ...


class UnitOfWork(Protocol):
    @property
    def appeals(self) -> AppealFactsRepository: ...  # read-only, so an implementation may narrow it
    @property
    def ledger(self) -> Ledger: ...  # read-only, so an implementation may narrow it

    def outbound(self, row: LedgerRow, appeal: AppealFacts, at: datetime) -> None:
        """Hand a reply to the citizen's channel adapter (``notifications.outbound.<channel>.v1``)."""
        ...

    def delivered(self, row: LedgerRow, channel: str, attempts: int, at: datetime) -> None: ...
    def delivery_failed(self, row: LedgerRow, channel: str, attempts: int, reason: str, at: datetime) -> None: ...


@dataclass(frozen=True)
class Writer:
    """Everything needed to turn a notice into a message."""

    templates: Renderer
    names: Names
    recipients: Recipients
    replies_in_channel: frozenset[str]
    default_language: str
    track_url: str
    quiet_hours: QuietHours | None
    digest_period: timedelta = timedelta(0)  # how long an executor's message waits for a digest
    verdict_days: int = 30  # what the answer's message says the citizen has to judge it


def _facts_of(event: Event) -> dict[str, Any]:
    """What an event adds to the appeal's facts for its own messages."""
    if isinstance(event, (AppealAssigned, AppealReopened)):
        return {"executor_code": event.executor_code}
    if isinstance(event, DeadlineExtended):
        return {"due_at": event.due_at.isoformat(), "reason": event.reason}
    if isinstance(event, (DeadlineApproaching, DeadlineBreached)):
        return {"due_at": event.due_at.isoformat()}
    if isinstance(event, AnswerAccepted):
        return {"executor_code": event.executor_code, "answer_text": event.answer_text}
    if isinstance(event, AppealMerged):
        return {"original_registration_number": event.into_registration_number}
    if isinstance(event, AnswerShared):
        return {"executor_code": event.executor_code, "answer_text": event.answer_text,
                "original_registration_number": event.original_registration_number}
    if isinstance(event, AppealRegistered) and event.consultation is not None:
        return {"answer_text": event.consultation.answer}
    if isinstance(event, AnswerReturned):
        return {"executor_code": event.executor_code, "reason_code": event.reason_code, "comment": event.comment}
    return {}


def _wanted(notice: Notice, event: Event) -> bool:
    """Whether the table's notice applies to this event: a reopened appeal's new due time is
    not a registration; a registration is told only when it is a consultation answered at once
    whose citizen wants the answer sent."""
    if isinstance(event, DeadlineScheduled):
        return not event.reopened
    if isinstance(event, AppealRegistered):
        return event.consultation is not None and event.consultation.reply_wanted
    return True


#: The event types notification acts on: those of its table (each also brings facts).
HANDLED: tuple[type[Event], ...] = tuple(EVENT_TYPES[event_type] for event_type in TABLE)


def with_event(appeal: AppealFacts, event: Event) -> AppealFacts:
    """The appeal's facts after ``event``: a registration sets its own (the executor and the
    due time stay as other topics set them), an assignment the executor; due times only move
    later (an extension), whatever order the events come in."""
    if isinstance(event, AppealRegistered):
        contact = event.citizen
        return replace(appeal, registered=True, registration_number=event.registration_number,
                       channel=event.channel, social_network=event.social_network,
                       channel_message_id=event.channel_message_id, language=event.language,
                       preferred_language=contact.preferred_language if contact else None,
                       email=contact.email if contact else None, phone=contact.phone if contact else None,
                       category=event.category, district=event.district, status_token=event.status_token)
    if isinstance(event, (AppealAssigned, AppealReopened)):
        return replace(appeal, executor_code=event.executor_code)
    if isinstance(event, (DeadlineScheduled, DeadlineExtended)):
        return replace(appeal, due_at=max(appeal.due_at, event.due_at) if appeal.due_at else event.due_at)
    return appeal


async def on_events(uow: UnitOfWork, events: Sequence[tuple[Envelope, Event]], *, writer: Writer,
                    now: datetime) -> set[str]:
    """A batch of appeal events: the facts they bring, the notices of the table, and every
    waiting notice whose facts are now complete rendered. Returns the delivery channels that
    got a message to send now (their workers need not wait for their next round).

    Set-based: the batch's appeals are locked and read in one statement, their waiting notices
    in one, and what changed is written back in a few, whatever the batch's size. In between,
    each appeal's events apply one by one in their order, exactly as they would one event per
    transaction: the same notices are written, in the same order, with the same facts."""
    events = [(envelope, event) for envelope, event in events if hasattr(event, "appeal_id")]
    if not events:
        return set()
    ids = sorted({event.appeal_id for _, event in events}, key=str)  # type: ignore[attr-defined]
    facts = await uow.appeals.lock_many(ids)  # locks in one order: replicas never deadlock
    before = dict(facts)
    waiting = await uow.ledger.waiting_many(ids)
    new: list[NoticeRow] = []
    written: list[Written] = []
    skipped: list[tuple[UUID, str]] = []
    for envelope, event in events:
        appeal_id: UUID = event.appeal_id  # type: ignore[attr-defined]
        appeal = facts[appeal_id] = with_event(facts[appeal_id], event)
        notices = [NoticeRow(uuid4(), envelope.id, envelope.type, appeal_id, n.audience, n.template, n.urgent,
                             _facts_of(event)) for n in notices_for(envelope.type) if _wanted(n, event)]
        new += notices
        queue = waiting.setdefault(appeal_id, [])
        queue += [LedgerRow(n.notification_id, appeal_id, n.audience, n.template, n.urgent, n.facts,
                            None, None, None, None, None, None, 0) for n in notices]
        if appeal.registered:  # every notice needs the registration
            waiting[appeal_id] = _write_ready(appeal, queue, writer=writer, now=now, written=written,
                                              skipped=skipped)
    await uow.appeals.save_many([f for appeal_id, f in facts.items() if f != before[appeal_id]])
    await uow.ledger.record_writing(new, written, skipped, now)
    return {w.route.delivery_channel for w in written if w.send_at <= now}


def _write_ready(appeal: AppealFacts, waiting: list[LedgerRow], *, writer: Writer, now: datetime,
                 written: list[Written], skipped: list[tuple[UUID, str]]) -> list[LedgerRow]:
    """Render the waiting notices whose facts are complete (appended to ``written`` or
    ``skipped`` in the order they are written); returns the ones still waiting."""
    still: list[LedgerRow] = []
    # The registration notice opens the citizen's conversation, whichever event completed it.
    for row in sorted(waiting, key=lambda r: r.template != "citizen.registered"):
        if not is_ready(row.audience, row.template, appeal, row.facts):
            still.append(row)
            continue
        where = route(row.audience, appeal, row.facts, writer.recipients, writer.replies_in_channel,
                      writer.default_language)
        if where is None:
            skipped.append((row.notification_id, f"no address for the {row.audience}"))
            continue
        message = writer.templates.render(row.template, where.language,
                                          context(appeal, row.facts, where.language, writer.names, writer.track_url,
                                                  verdict_days=writer.verdict_days),
                                          sms=where.delivery_channel == "sms")
        send_at = now
        if where.delivery_channel == "sms" and writer.quiet_hours is not None:
            send_at = writer.quiet_hours.earliest_send(now, urgent=row.urgent)
        elif digest.digestible(row):
            send_at = now + writer.digest_period
        written.append(Written(row.notification_id, where, message.subject, message.body, send_at))
    left = {r.notification_id for r in still}
    return [r for r in waiting if r.notification_id in left]


async def claim_for_sending(uow: UnitOfWork, *, channel: str, now: datetime, quiet_hours: QuietHours | None,
                            limit: int, digests: DigestPolicy | None = None) -> list[LedgerRow]:
    """Claim the due heads of the recipients' queues on one channel and mark them as being
    sent (SMS in quiet hours are postponed instead). The caller commits this before it calls
    any provider, and records the outcomes with :func:`record_outcomes` after: a fault in
    between leaves the rows "sending", never pending, so they are not sent again by accident.

    With ``digests``, a head that goes into an executor's digest brings the digestible rows
    queued right behind it (at most ``digests.size`` in all; the first other row ends it)."""
    rows = await uow.ledger.claim_due(channel, now, limit)
    sendable: list[LedgerRow] = []
    for row in rows:
        if channel == "sms" and quiet_hours is not None and not row.urgent and quiet_hours.is_quiet(now):
            await uow.ledger.postpone(row.notification_id, quiet_hours.earliest_send(now, urgent=False))
            continue
        sendable.append(row)
        if digests is not None and digests.size > 1 and digest.digestible(row):
            joined = []
            for behind in await uow.ledger.queued_behind(row, digests.size - 1):
                if not digest.digestible(behind):
                    break
                joined.append(behind)
            if joined:
                await uow.ledger.digested(row.notification_id, [r.notification_id for r in joined])
                sendable += joined
    await uow.ledger.sending([r.notification_id for r in sendable], now)
    return sendable


async def send_all(sender: Sender, rows: Sequence[LedgerRow], *,
                   renderer: Renderer | None = None) -> list[BaseException | None]:
    """Call the provider for every message at once; one outcome per row. With a ``renderer``,
    an executor's digestible rows go as one digest e-mail, and its outcome is each one's."""
    groups = digest.group(rows) if renderer is not None else [[r] for r in rows]
    outcomes = await asyncio.gather(*(sender.send(_outgoing(g[0]) if len(g) == 1 else _digest(g, renderer))
                                      for g in groups), return_exceptions=True)
    by_id = {r.notification_id: outcome for g, outcome in zip(groups, outcomes, strict=True) for r in g}
    return [by_id[r.notification_id] for r in rows]


def _digest(rows: Sequence[LedgerRow], renderer: Renderer | None) -> Outgoing:
    assert renderer is not None
    head = rows[0]
    message = renderer.render(digest.TEMPLATE, head.language or "ru", {
        "count": len(rows), "messages": [{"subject": r.subject or "", "body": r.body or ""} for r in rows]})
    # The head's id names the digest (its Message-ID): the same rows claimed again make the same one.
    return Outgoing(head.notification_id, head.appeal_id, digest.TEMPLATE, head.address, head.language or "",
                    message.subject, message.body, False)


async def record_outcomes(uow: UnitOfWork, rows: Sequence[LedgerRow], outcomes: Sequence[BaseException | None], *,
                          channel: str, now: datetime, retry: DeliveryBackoff) -> None:
    """Record what the provider answered for each row sent, in one batch; announce the rows
    delivered or finally failed (only those this record changed: no second announcement)."""
    attempts = [_attempt(row, outcome, channel=channel, now=now, retry=retry)
                for row, outcome in zip(rows, outcomes, strict=True)]
    # The appeals locked in one order (as the consumer locks them) until this commits: the
    # e-mail and the SMS workers announce one appeal's outcomes one transaction after the
    # other, so the outbox's order of an appeal's events is the order they are published in.
    # (Unlocked, two workers' rows of one appeal could commit against their ids' order: the
    # chaos suite saw it once.)
    await uow.appeals.lock_many(sorted({r.appeal_id for r in rows}))
    changed = await uow.ledger.attempted(attempts, now)
    for row, attempt in zip(rows, attempts, strict=True):
        if attempt.notification_id not in changed:
            continue
        if attempt.outcome == "delivered":
            uow.delivered(row, channel, attempt.attempt, now)
        elif attempt.outcome == "failed":
            uow.delivery_failed(row, channel, attempt.attempt, attempt.error or "", now)


async def deliver_in_channel(uow: UnitOfWork, *, now: datetime, retry: DeliveryBackoff, limit: int) -> int:
    """In-channel replies: delivered by announcing an ``outbound notification`` through the
    outbox, in this one transaction (exactly once, like every event). Returns rows claimed."""
    rows = await uow.ledger.claim_due("outbound", now, limit)
    # The appeals' facts in one statement, locked in one order (as the consumer locks them).
    facts = await uow.appeals.lock_many(sorted({r.appeal_id for r in rows}))
    for row in rows:
        uow.outbound(row, facts[row.appeal_id], now)
    await record_outcomes(uow, rows, [None] * len(rows), channel="outbound", now=now, retry=retry)
    return len(rows)


#: What happens to a message whose outcome is unknown, per channel (docs/notifications.md).
AT_LEAST_ONCE, AT_MOST_ONCE = "at_least_once", "at_most_once"


async def resolve_in_doubt(uow: UnitOfWork, *, channel: str, now: datetime, lease: timedelta, policy: str,
                           limit: int) -> int:
    """Rows marked "sending" longer than ``lease`` ago: their sender stopped (a crash) between
    calling the provider and recording the outcome, which is unknown. ``at_least_once``:
    send again under the same id, for a provider that drops a copy of an id it has (the SMS
    gateway's client message id); ``at_most_once``: never send again, leave the row "in doubt"
    with the reason, visible in the ledger and the metrics. Returns rows resolved."""
    rows = await uow.ledger.stale_sending(channel, now - lease, limit)
    if policy == AT_LEAST_ONCE:
        attempts = [Attempt(r.notification_id, r.attempts + 1, "retry",
                            "outcome unknown (the sender stopped); sent again under the same id", now) for r in rows]
    else:
        attempts = [Attempt(r.notification_id, r.attempts + 1, "in_doubt",
                            "outcome unknown (the sender stopped); not sent again (at most once)") for r in rows]
    await uow.ledger.attempted(attempts, now)
    return len(rows)


def _outgoing(row: LedgerRow) -> Outgoing:
    return Outgoing(row.notification_id, row.appeal_id, row.template, row.address, row.language or "",
                    row.subject or "", row.body or "", row.urgent)


def _attempt(row: LedgerRow, outcome: BaseException | None, *, channel: str, now: datetime,
             retry: DeliveryBackoff) -> Attempt:
    attempt = row.attempts + 1
    if outcome is None:
        return Attempt(row.notification_id, attempt, "delivered")
    if isinstance(outcome, DeliveryError):
        reason, permanent = outcome.reason, outcome.permanent
    elif isinstance(outcome, Exception):
        reason, permanent = f"{type(outcome).__name__} in the {channel} adapter", False
    else:
        raise outcome  # cancellation and the like are not delivery outcomes
    next_at = None if permanent else retry.next_attempt(attempt, now)
    if next_at is not None:
        return Attempt(row.notification_id, attempt, "retry", reason, next_at)
    return Attempt(row.notification_id, attempt, "failed", reason)
