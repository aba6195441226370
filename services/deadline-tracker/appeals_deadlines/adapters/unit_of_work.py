"""The deadline tracker's unit of work over one asyncpg transaction: repository plus outbox."""

from __future__ import annotations

import asyncpg

from appeals_deadlines.adapters.repository import PostgresDeadlineRepository
from appeals_runtime.outbox import OutboxBatch


class PostgresUnitOfWork(OutboxBatch):
    def __init__(self, conn: asyncpg.Connection, trace_context: object = None) -> None:
        super().__init__(conn, trace_context)  # type: ignore[arg-type]
        self.deadlines = PostgresDeadlineRepository(conn)
