"""Continuing an appeal's trace later: the traceparent of the span that began something (an
appeal's routing, an answer's arrival) kept under its subject in the runtime's ``traces``
table, and read back when work caused from outside joins it (``within_appeal_trace``). Every
service that needs it has the table; none keeps a column of its own."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

import asyncpg
from opentelemetry import context as otel_context

from appeals_runtime.telemetry import traceparent_of


async def keep(conn: asyncpg.Connection, contexts: Mapping[UUID | str, otel_context.Context | None]) -> None:
    """Keep each subject's trace (the first kept stays); subjects without a sampled trace are left out."""
    kept = {str(subject): tp for subject, context in contexts.items() if (tp := traceparent_of(context))}
    if kept:
        await conn.execute(
            """INSERT INTO traces (subject, traceparent) SELECT * FROM unnest($1::text[], $2::text[])
               ON CONFLICT (subject) DO NOTHING""", list(kept), list(kept.values()))


async def of(conn: asyncpg.Connection, subject: UUID | str) -> str | None:
    """The traceparent kept for ``subject``, if any."""
    traceparent: str | None = await conn.fetchval("SELECT traceparent FROM traces WHERE subject = $1", str(subject))
    return traceparent
