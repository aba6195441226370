"""Inspection's own metrics, sampled from its tables: the review queue and its oldest answer,
open escalations."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from prometheus_client import Gauge

QUEUE = Gauge("appeals_inspection_queue", "Answers waiting for an inspector's verdict")
OLDEST = Gauge("appeals_inspection_oldest_answer_seconds", "How long the oldest waiting answer has waited (0: none)")
ESCALATIONS = Gauge("appeals_inspection_open_escalations", "Overdue appeals escalated and not yet closed")


async def sample(conn: asyncpg.Connection, now: datetime) -> None:
    row = await conn.fetchrow("SELECT count(*) AS n, min(submitted_at) AS oldest FROM answers WHERE status = 'waiting'")
    QUEUE.set(row["n"])
    OLDEST.set(max(0.0, (now - row["oldest"]).total_seconds()) if row["oldest"] else 0.0)
    ESCALATIONS.set(await conn.fetchval("SELECT count(*) FROM escalations WHERE closed_at IS NULL"))
