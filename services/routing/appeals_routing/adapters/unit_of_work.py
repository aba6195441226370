"""Routing's unit of work over one asyncpg transaction: repository plus outbox."""

from __future__ import annotations

import asyncpg

from appeals_contracts.envelope import Envelope
from appeals_routing.adapters.repository import PostgresRoutingRepository
from appeals_runtime.outbox import OutboxBatch


class PostgresUnitOfWork(OutboxBatch):
    def __init__(self, conn: asyncpg.Connection, trace_context: object = None) -> None:
        super().__init__(conn, trace_context)  # type: ignore[arg-type]
        self.routing = PostgresRoutingRepository(conn)

    def announce(self, envelope: Envelope, *, executor: str | None = None,  # type: ignore[override]
                 trace_context: object = None) -> None:
        """Assignments carry the executor in the ``ce_executor`` header so portals can filter
        without parsing the payload."""
        super().announce(envelope, extra_headers={"ce_executor": executor} if executor else None,
                         trace_context=trace_context)  # type: ignore[arg-type]
