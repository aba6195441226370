"""Inspection's unit of work: the read model plus the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from appeals_inspection.adapters import events
from appeals_inspection.adapters.repository import PostgresReadModel
from appeals_inspection.domain.review import Verdict
from appeals_runtime.unit_of_work import UnitOfWork


class PostgresUnitOfWork(UnitOfWork):
    model: PostgresReadModel

    def bind(self, conn: asyncpg.Connection) -> None:
        self.model = PostgresReadModel(conn)

    def decided(self, answer: dict[str, Any], verdict: Verdict, at: datetime) -> None:
        self.announce(events.verdict(answer, verdict, at), subject=answer["appeal_id"], time=at)
