"""Inspection's unit of work over one asyncpg transaction: read model plus outbox."""

from __future__ import annotations

import asyncpg

from appeals_inspection.adapters.repository import PostgresReadModel
from appeals_runtime.outbox import OutboxBatch


class PostgresUnitOfWork(OutboxBatch):
    def __init__(self, conn: asyncpg.Connection, trace_context: object = None) -> None:
        super().__init__(conn, trace_context)  # type: ignore[arg-type]
        self.model = PostgresReadModel(conn)
