"""Notification's unit of work over one asyncpg transaction: facts, ledger and outbox."""

from __future__ import annotations

import asyncpg

from appeals_notification.adapters.repository import PostgresAppealFacts, PostgresLedger
from appeals_runtime.outbox import OutboxBatch


class PostgresUnitOfWork(OutboxBatch):
    def __init__(self, conn: asyncpg.Connection, trace_context: object = None) -> None:
        super().__init__(conn, trace_context)  # type: ignore[arg-type]
        self.appeals = PostgresAppealFacts(conn)
        self.ledger = PostgresLedger(conn)
