"""The deadline tracker's own metrics, sampled from its tables: open, due-soon and overdue
deadlines, and how late the oldest due timer is (the sweep falling behind)."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
from prometheus_client import Gauge

DUE_SOON = timedelta(hours=24)
OPEN = Gauge("appeals_deadlines_open", "Open deadlines")
DUE_SOON_GAUGE = Gauge("appeals_deadlines_due_soon", "Open deadlines due within 24 hours")
OVERDUE = Gauge("appeals_deadlines_overdue", "Open deadlines past their due time")
TIMER_LATENESS = Gauge("appeals_timers_lateness_seconds", "How long the oldest due, unfired timer has waited (0: none)")


async def sample(conn: asyncpg.Connection, now: datetime) -> None:
    row = await conn.fetchrow(
        """SELECT count(*) AS open, count(*) FILTER (WHERE due_at < $1) AS overdue,
                  count(*) FILTER (WHERE due_at >= $1 AND due_at < $2) AS due_soon
           FROM deadlines WHERE status = 'open'""", now, now + DUE_SOON)
    OPEN.set(row["open"])
    OVERDUE.set(row["overdue"])
    DUE_SOON_GAUGE.set(row["due_soon"])
    oldest = await conn.fetchval("SELECT min(fire_at) FROM timers WHERE fired_at IS NULL AND fire_at <= $1", now)
    TIMER_LATENESS.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
