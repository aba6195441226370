"""Inspection's unit of work: the read model plus the outbox."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from appeals_inspection.adapters import events
from appeals_inspection.adapters.console_sessions import ConsoleStore
from appeals_inspection.adapters.repository import PostgresReadModel
from appeals_inspection.domain.review import ReviewedAnswer, Verdict
from appeals_inspection.handlers.ports import Decider
from appeals_runtime.unit_of_work import UnitOfWork


class PostgresUnitOfWork(UnitOfWork):
    model: PostgresReadModel
    console: ConsoleStore

    def bind(self, conn: asyncpg.Connection) -> None:
        self.model = PostgresReadModel(conn)
        self.console = ConsoleStore(conn)

    def merged(self, duplicate_id: UUID, into_id: UUID, into_number: str, by: Decider, at: datetime) -> None:
        self.announce(events.merged(duplicate_id, into_id, into_number, by, at), subject=duplicate_id, time=at)

    def unmerged(self, duplicate_id: UUID, from_id: UUID, by: Decider, at: datetime) -> None:
        self.announce(events.unmerged(duplicate_id, from_id, by, at), subject=duplicate_id, time=at)

    def shared(self, duplicate_id: UUID, answer: ReviewedAnswer, original_number: str, at: datetime) -> None:
        self.announce(events.shared(duplicate_id, answer, original_number, at), subject=duplicate_id, time=at)

    def decided(self, answer: ReviewedAnswer, verdict: Verdict, at: datetime) -> None:
        self.announce(events.verdict(answer, verdict, at), subject=answer.appeal_id, time=at)
