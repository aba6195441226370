"""The deadline tracker's unit of work: the deadline repository plus the outbox."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from appeals_deadlines.adapters import events
from appeals_deadlines.adapters.repository import PostgresDeadlineRepository
from appeals_deadlines.domain.model import Deadline, Timer
from appeals_runtime.unit_of_work import UnitOfWork


class PostgresUnitOfWork(UnitOfWork):
    deadlines: PostgresDeadlineRepository

    def bind(self, conn: asyncpg.Connection) -> None:
        self.deadlines = PostgresDeadlineRepository(conn)

    def scheduled(self, deadline: Deadline, reminders: tuple[datetime, ...], at: datetime, *,
                  reopened: bool = False, resumed: bool = False) -> None:
        self.announce(events.scheduled(deadline, reminders, at, reopened=reopened, resumed=resumed),
                      subject=deadline.appeal_id)

    def stopped(self, deadline: Deadline, reason: str, at: datetime) -> None:
        self.announce(events.stopped(deadline, reason, at), subject=deadline.appeal_id)

    def extension_refused(self, appeal_id: UUID, due_at: datetime, reason: str, at: datetime) -> None:
        self.announce(events.extension_refused(appeal_id, due_at, reason, at), subject=appeal_id)

    def extended(self, deadline: Deadline, new_due: datetime, reason: str, at: datetime,
                 notice_due: datetime | None = None) -> None:
        self.announce(events.extended(deadline, new_due, reason, at, notice_due), subject=deadline.appeal_id)

    def forwarding_breached(self, deadline: Deadline, forwarded_at: datetime, from_executor: str, to_executor: str,
                            at: datetime) -> None:
        self.announce(events.forwarding_breached(deadline, forwarded_at, from_executor, to_executor, at),
                      subject=deadline.appeal_id)

    def notice_late(self, deadline: Deadline, delivered_at: datetime | None, at: datetime) -> None:
        self.announce(events.notice_late(deadline, delivered_at, at), subject=deadline.appeal_id)

    def closed(self, deadline: Deadline, answered_at: datetime, on_time: bool, at: datetime) -> None:
        self.announce(events.closed(deadline, answered_at, on_time, at), subject=deadline.appeal_id)

    def fired(self, timer: Timer, at: datetime) -> None:
        self.announce(events.fired(timer, at), subject=timer.appeal_id)
