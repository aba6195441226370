"""The deadline tracker's in-memory unit of work, shared by the handlers' tests and checked two
ways: mypy checks it against the handlers' ``UnitOfWork`` protocol (tests/style), and the
repository's cases run against it and against PostgreSQL (test_repository_both_ways)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from opentelemetry.context import Context

from appeals_deadlines import handlers
from appeals_deadlines.adapters import events
from appeals_deadlines.domain.model import Deadline, Timer


class FakeDeadlines:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Deadline] = {}
        self.timers: list[Timer] = []
        self.fired: set[Timer] = set()
        self.deferred: list[tuple[uuid.UUID, str, dict]] = []

    async def get_for_update(self, appeal_id):
        return self.rows.get(appeal_id)

    async def add_all(self, deadlines):
        new = set()
        for deadline in deadlines:
            if deadline.appeal_id not in self.rows:
                self.rows[deadline.appeal_id] = deadline
                new.add(deadline.appeal_id)
        return new

    async def update(self, appeal_id, **fields):
        extra = {k: v for k, v in fields.items() if k in ("on_time", "closed_at")}
        known = {k: v for k, v in fields.items() if k not in extra}
        self.rows[appeal_id] = replace(self.rows[appeal_id], **known)

    async def add_timers(self, timers):
        self.timers += [t for t in timers if t not in self.timers]

    async def cancel_timers(self, appeal_id):
        self.timers = [t for t in self.timers if t.appeal_id != appeal_id or t in self.fired]

    async def claim_due_timers(self, now, limit):
        due = sorted((t for t in self.timers if t not in self.fired and t.fire_at <= now), key=lambda t: t.fire_at)
        self.fired.update(due[:limit])
        return due[:limit]

    async def open_deadlines(self, appeal_ids):
        return {a: self.rows[a] for a in appeal_ids if a in self.rows and self.rows[a].status == "open"}

    async def defer(self, appeal_id, kind, args):
        self.deferred.append((appeal_id, kind, args))

    async def add_answer_time(self, appeal_id, answered_at):
        row = self.rows[appeal_id]
        self.rows[appeal_id] = replace(row, last_answer_submitted_at=answered_at,
                                       answer_times=(*row.answer_times, answered_at))

    async def take_deferred(self, appeal_id, kind):
        taken = [a for x, k, a in self.deferred if x == appeal_id and k == kind]
        self.deferred = [d for d in self.deferred if not (d[0] == appeal_id and d[1] == kind)]
        return taken

    async def take_deferred_all(self, appeal_ids):
        kept = {}
        for x, k, a in self.deferred:
            if x in appeal_ids:
                kept.setdefault(x, []).append((k, a))
        self.deferred = [d for d in self.deferred if d[0] not in appeal_ids]
        return kept


class FakeUnitOfWork:
    """Records what the handlers announce, as the contract events the real one would write."""

    def __init__(self) -> None:
        self.deadlines = FakeDeadlines()
        self.announced: list = []
        self.trace_context: Context | None = None

    def scheduled(self, deadline, reminders, at, *, reopened=False, resumed=False):
        self.announced.append(events.scheduled(deadline, reminders, at, reopened=reopened, resumed=resumed))

    def stopped(self, deadline, reason, at):
        self.announced.append(events.stopped(deadline, reason, at))

    def extension_refused(self, appeal_id, due_at, reason, at):
        self.announced.append(events.extension_refused(appeal_id, due_at, reason, at))

    def extended(self, deadline, new_due, reason, at, notice_due=None):
        self.announced.append(events.extended(deadline, new_due, reason, at, notice_due))

    def forwarding_breached(self, deadline, forwarded_at, from_executor, to_executor, at):
        self.announced.append(events.forwarding_breached(deadline, forwarded_at, from_executor, to_executor, at))

    def notice_late(self, deadline, delivered_at, at):
        self.announced.append(events.notice_late(deadline, delivered_at, at))

    def closed(self, deadline, answered_at, on_time, at):
        self.announced.append(events.closed(deadline, answered_at, on_time, at))

    def fired(self, timer, at):
        self.announced.append(events.fired(timer, at))

    def types(self) -> list[str]:
        return [e.event_type for e in self.announced]


def _the_fake_stands_for_the_protocol() -> handlers.UnitOfWork:
    """Never called: mypy (tests/style) checks here that the fake has every member of the unit
    of work the handlers declare, with its repositories' too."""
    return FakeUnitOfWork()
