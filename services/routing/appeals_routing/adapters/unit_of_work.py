"""Routing's unit of work over one asyncpg transaction: repository plus outbox."""

from __future__ import annotations

import asyncpg

from appeals_contracts.envelope import Envelope
from appeals_routing.adapters.repository import PostgresRoutingRepository
from appeals_runtime.outbox import OutboxMessage, enqueue


class PostgresUnitOfWork:
    def __init__(self, conn: asyncpg.Connection, trace_context: object = None) -> None:
        self.conn = conn
        self.routing = PostgresRoutingRepository(conn)
        self.trace_context = trace_context
        self._messages: list[OutboxMessage] = []

    def announce(self, envelope: Envelope, *, executor: str | None = None) -> None:
        """Queue an event keyed by its subject (the appeal id); assignments also carry the
        executor in the ``ce_executor`` header so portals can filter without parsing."""
        extra = {"ce_executor": executor} if executor else {}
        self._messages.append(OutboxMessage(envelope, key=envelope.subject or str(envelope.id),
                                            extra_headers=extra, trace_context=self.trace_context))  # type: ignore[arg-type]

    async def flush(self) -> None:
        await enqueue(self.conn, self._messages)
        self._messages = []
