"""Transactional outbox: events are stored in the same transaction as the state change.

:func:`enqueue` writes rows (and a ``NOTIFY``, delivered on commit); the
:class:`~appeals_runtime.relay.OutboxRelay` publishes them. Each row keeps the trace
context of the span that caused it, so the trace goes on past the relay.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
from opentelemetry import context as otel_context

from appeals_contracts.envelope import Envelope
from appeals_contracts.topics import topic_for_event
from appeals_runtime.telemetry import headers_from_context

NOTIFY_CHANNEL = "outbox"


@dataclass(frozen=True)
class OutboxMessage:
    """One event to publish: its envelope, topic, key and extra headers.

    ``trace_context`` is the context the event was caused in; ``None`` means the current one.
    """

    envelope: Envelope
    key: str
    topic: str = ""
    extra_headers: dict[str, str] = field(default_factory=dict)
    trace_context: otel_context.Context | None = None

    def resolved_topic(self) -> str:
        return self.topic or topic_for_event(self.envelope.type).name


async def enqueue(conn: asyncpg.Connection, messages: Sequence[OutboxMessage]) -> None:
    """Store ``messages`` in the outbox; call inside the transaction of the state change."""
    if not messages:
        return
    rows = []
    for m in messages:
        trace_headers = headers_from_context(m.trace_context)
        rows.append((
            m.envelope.id,
            m.resolved_topic(),
            m.key,
            json.dumps(dict((k, v.decode()) for k, v in m.envelope.kafka_headers(m.extra_headers))),
            m.envelope.kafka_value(),
            trace_headers.get("traceparent"),
            trace_headers.get("tracestate"),
        ))
    await conn.executemany(
        """INSERT INTO outbox (event_id, topic, key, headers, value, traceparent, tracestate)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)""",
        rows,
    )
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)
