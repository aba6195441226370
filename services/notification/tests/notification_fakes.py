"""Notification's unit of work in memory, typed as the handlers' protocol (tests/style checks
it with mypy): one fake for the writing of notices and for their delivery alike, keeping the
ledger's rules as its tables do."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from appeals_notification import handlers
from appeals_notification.adapters import events
from appeals_notification.domain.ledger import Attempt, LedgerRow, NoticeRow, Written
from appeals_notification.domain.messages import AppealFacts


class FakeAppeals:
    """Each appeal's facts; an appeal not seen yet has ``default``'s (none known, unless a test says)."""

    def __init__(self, default: Callable[[uuid.UUID], AppealFacts] = AppealFacts) -> None:
        self.facts: dict[uuid.UUID, AppealFacts] = {}
        self._default = default

    async def lock_many(self, appeal_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, AppealFacts]:
        return {a: self.facts.setdefault(a, self._default(a)) for a in appeal_ids}

    async def save_many(self, facts: Sequence[AppealFacts]) -> None:
        self.facts.update({f.appeal_id: f for f in facts})


class FakeLedger:
    """The ledger's rules as the tables keep them: one notice per (source event, audience,
    template), ``order`` lists templates in the order they were written. For delivery, ``queue``
    holds the rows due in their recipients' order and ``stale`` those a stopped worker left
    "sending"; what a round does is kept in ``marked``, ``attempts``, ``postponed``, ``digests``."""

    def __init__(self, queue: Sequence[LedgerRow] = (), stale: Sequence[LedgerRow] = ()) -> None:
        self.rows: dict[uuid.UUID, dict] = {}
        self.order: list[str] = []
        self.queue, self.stale = list(queue), list(stale)
        self.attempts: list[tuple] = []
        self.postponed: list[tuple[uuid.UUID, datetime]] = []
        self.marked: list[uuid.UUID] = []
        self.digests: list[tuple[uuid.UUID, list[uuid.UUID]]] = []

    async def waiting_many(self, appeal_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[LedgerRow]]:
        return {a: [LedgerRow(r["notice"].notification_id, a, r["audience"], r["template"], r["notice"].urgent,
                              r["notice"].facts, None, None, None, None, None, None, 0)
                    for r in self.rows.values() if r["status"] == "waiting" and r["notice"].appeal_id == a]
                for a in appeal_ids}

    async def record_writing(self, new: Sequence[NoticeRow], written: Sequence[Written],
                             skipped: Sequence[tuple[uuid.UUID, str]], at: datetime) -> None:
        added = set()
        for n in new:
            if not any((r["source"], r["audience"], r["template"]) == (n.source_event_id, n.audience, n.template)
                       for r in self.rows.values()):
                self.rows[n.notification_id] = {"source": n.source_event_id, "notice": n, "audience": n.audience,
                                                "template": n.template, "status": "waiting"}
                added.add(n.notification_id)
        known = {n.notification_id for n in new}
        for w in written:
            if w.notification_id in self.rows and (w.notification_id in added or w.notification_id not in known):
                self.rows[w.notification_id].update(status="pending", route=w.route, body=w.body)
                self.order.append(self.rows[w.notification_id]["template"])
        for notification_id, reason in skipped:
            if notification_id in self.rows and (notification_id in added or notification_id not in known):
                self.rows[notification_id].update(status="skipped", reason=reason)

    async def claim_due(self, channel: str, now: datetime, limit: int) -> list[LedgerRow]:
        heads, seen = [], set()
        for r in self.queue:  # the head of each recipient's queue
            if r.recipient not in seen:
                seen.add(r.recipient)
                heads.append(r)
        return heads[:limit]

    async def queued_behind(self, head: LedgerRow, limit: int) -> list[LedgerRow]:
        return [r for r in self.queue if r.recipient == head.recipient][1:limit + 1]

    async def digested(self, head: uuid.UUID, behind: Sequence[uuid.UUID]) -> None:
        self.digests.append((head, list(behind)))

    async def sending(self, notification_ids: Sequence[uuid.UUID], at: datetime) -> None:
        self.marked += list(notification_ids)

    async def stale_sending(self, channel: str, before: datetime, limit: int) -> list[LedgerRow]:
        return self.stale[:limit]

    async def postpone(self, notification_id: uuid.UUID, until: datetime) -> None:
        self.postponed.append((notification_id, until))

    async def attempted(self, attempts: Sequence[Attempt], at: datetime) -> set[uuid.UUID]:
        self.attempts += [(a.notification_id, a.attempt, a.outcome, a.error, a.next_attempt_at) for a in attempts]
        return {a.notification_id for a in attempts}


class FakeUnitOfWork:
    """Records what the handlers announce, as the contract events the real one would write."""

    def __init__(self, queue: Sequence[LedgerRow] = (), stale: Sequence[LedgerRow] = (),
                 default: Callable[[uuid.UUID], AppealFacts] = AppealFacts) -> None:
        self.appeals, self.ledger = FakeAppeals(default), FakeLedger(queue, stale)
        self.announced: list = []

    def outbound(self, row: LedgerRow, appeal: AppealFacts, at: datetime) -> None:
        self.announced.append(events.outbound(row, appeal, at))

    def delivered(self, row: LedgerRow, channel: str, attempts: int, at: datetime) -> None:
        self.announced.append(events.delivered(row, channel, attempts, at))

    def delivery_failed(self, row: LedgerRow, channel: str, attempts: int, reason: str, at: datetime) -> None:
        self.announced.append(events.delivery_failed(row, channel, attempts, reason, at))


def _the_fake_stands_for_the_protocol() -> handlers.UnitOfWork:
    """Never called: mypy (tests/style) checks here that the fake has every member of the unit
    of work the handlers declare, with its repositories' too."""
    return FakeUnitOfWork()
