"""The unit of work every service's handlers run in: one PostgreSQL transaction, with the
events it announces written to the outbox when (and only when) that transaction commits.

Decisions people make are written to the service's audit trail the same way (:meth:`audit`).
A service subclasses :class:`UnitOfWork`, binds its repositories in :meth:`bind`, and adds
typed announcement methods that map its domain to contract events (``adapters/events.py``)
and call :meth:`announce`. The runtime opens units of work for consumers, polling workers
and HTTP routes alike; no caller writes the outbox itself::

    async with runtime.unit_of_work() as uow:
        await handlers.something(uow, ...)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

import asyncpg
from opentelemetry import context as otel_context

from appeals_contracts.base import Event
from appeals_contracts.envelope import Envelope
from appeals_runtime import audit, traces
from appeals_runtime.audit import AuditEntry
from appeals_runtime.clock import Clock
from appeals_runtime.outbox import OutboxMessage, enqueue


def event_source(service_name: str) -> str:
    """The CloudEvents ``source`` of every event a service publishes."""
    return f"/services/{service_name}"


class UnitOfWork:
    """A transaction on a connection from ``pool`` plus the events it announces."""

    def __init__(self, pool: asyncpg.Pool, *, source: str, clock: Clock | None = None,
                 trace_context: otel_context.Context | None = None) -> None:
        self._pool = pool
        self.source = source
        self.clock = clock or Clock()
        self.trace_context = trace_context
        self._conn: asyncpg.Connection | None = None
        self._transaction: object = None
        self._messages: list[OutboxMessage] = []
        self._audit: list[AuditEntry] = []
        self._after_commit: list[Callable[[], None]] = []

    @property
    def conn(self) -> asyncpg.Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use 'async with'")
        return self._conn

    def bind(self, conn: asyncpg.Connection) -> None:
        """Create the service's repositories on ``conn`` (override)."""

    async def __aenter__(self) -> Self:
        self._conn = await self._pool.acquire()
        try:
            self._transaction = self._conn.transaction()
            await self._transaction.start()  # type: ignore[attr-defined]
            self.bind(self._conn)
        except BaseException:
            await self._release()
            raise
        self._messages, self._audit, self._after_commit = [], [], []
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            if exc_type is None:
                await enqueue(self.conn, self._messages)
                await audit.record(self.conn, self._audit)
                await self._transaction.commit()  # type: ignore[attr-defined]
                for action in self._after_commit:
                    action()
            else:
                await self._transaction.rollback()  # type: ignore[attr-defined]
        finally:
            self._messages, self._audit, self._after_commit = [], [], []
            await self._release()

    async def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._pool.release(conn)

    def announce(self, event: Event, *, subject: UUID | str | None, key: str | None = None,
                 correlation_id: str | None = None, time: datetime | None = None, extra_headers: dict[str, str] | None = None,
                 trace_context: otel_context.Context | None = None, topic: str = "") -> Envelope:
        """Queue ``event`` for the outbox, keyed by ``key`` or else its subject (the appeal id), on
        ``topic`` or else the one topic of its event type.

        The event carries the trace context it was announced in (``trace_context``, else the
        unit's own, else the current one), so its trace goes on past the relay.
        """
        envelope = Envelope.wrap(event, source=self.source, subject=str(subject) if subject is not None else None,
                                 correlation_id=correlation_id,
                                 time=time or self.clock.now())
        self._messages.append(OutboxMessage(
            envelope, key=key or envelope.subject or str(envelope.id), topic=topic, extra_headers=extra_headers or {},
            trace_context=trace_context or self.trace_context or otel_context.get_current()))
        return envelope

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` (e.g. count a metric) once this unit has committed, never if it rolls back."""
        self._after_commit.append(action)

    def audit(self, entry: AuditEntry) -> None:
        """Record a person's decision in the service's audit trail, when this unit commits."""
        self._audit.append(entry)

    async def audit_trail(self, appeal_id: UUID) -> list[dict[str, object]]:
        """The appeal's audit trail in this service, oldest first."""
        return await audit.trail(self.conn, appeal_id)

    async def keep_traces(self, contexts: Mapping[UUID | str, otel_context.Context | None]) -> None:
        """Keep where each subject's trace goes on (:mod:`appeals_runtime.traces`)."""
        await traces.keep(self.conn, contexts)

    async def kept_trace(self, subject: UUID | str) -> str | None:
        """The traceparent kept for ``subject``: give it to ``within_appeal_trace``."""
        return await traces.of(self.conn, subject)

    @property
    def announced(self) -> list[Envelope]:
        """What this unit has announced so far (not yet written)."""
        return [m.envelope for m in self._messages]
