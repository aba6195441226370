"""Notification's own metrics: delivery attempts and their outcomes by channel (counted when
the attempt's transaction commits), and the backlog by channel (sampled from the ledger)."""

from __future__ import annotations

from datetime import datetime

import asyncpg
from prometheus_client import Counter, Gauge

CHANNELS = ("email", "sms", "outbound")
ATTEMPTS = Counter("appeals_notification_delivery_attempts_total",
                   "Delivery attempts by channel and outcome (delivered, retry, failed, in_doubt)",
                   ["channel", "outcome"])
BACKLOG = Gauge("appeals_notification_backlog", "Notices pending delivery", ["channel"])
OLDEST_PENDING = Gauge("appeals_notification_oldest_pending_seconds",
                       "Age of the oldest notice pending delivery (0: none)", ["channel"])
WAITING = Gauge("appeals_notification_waiting_for_facts", "Notices waiting for their appeal's registration")
SENDING = Gauge("appeals_notification_sending", "Notices handed to their provider, outcome not yet recorded", ["channel"])
IN_DOUBT = Gauge("appeals_notification_in_doubt", "Notices whose outcome is unknown after a crash, not sent again",
                 ["channel"])


#: One branch per partial index (deliveries_sending, deliveries_in_doubt): with
#: "status IN (...)" the planner read the whole ledger at every sample.
SENDING_AND_IN_DOUBT = """
    SELECT 'sending' AS status, delivery_channel, count(*) AS n FROM deliveries
    WHERE status = 'sending' GROUP BY delivery_channel
    UNION ALL
    SELECT 'in_doubt', delivery_channel, count(*) FROM deliveries
    WHERE status = 'in_doubt' GROUP BY delivery_channel"""


def channel_label(channel: str | None) -> str:
    return channel if channel in CHANNELS else "other"


async def sample(conn: asyncpg.Connection, now: datetime) -> None:
    rows = await conn.fetch(
        """SELECT delivery_channel, count(*) AS n, min(created_at) AS oldest FROM deliveries
           WHERE status = 'pending' GROUP BY delivery_channel""")
    seen = {channel_label(r["delivery_channel"]): r for r in rows}
    for channel in (*CHANNELS, "other"):
        row = seen.get(channel)
        BACKLOG.labels(channel).set(row["n"] if row else 0)
        OLDEST_PENDING.labels(channel).set(max(0.0, (now - row["oldest"]).total_seconds()) if row else 0.0)
    WAITING.set(await conn.fetchval("SELECT count(*) FROM deliveries WHERE status = 'waiting'"))
    counts = {(r["status"], channel_label(r["delivery_channel"])): r["n"]
              for r in await conn.fetch(SENDING_AND_IN_DOUBT)}
    for channel in (*CHANNELS, "other"):
        SENDING.labels(channel).set(counts.get(("sending", channel), 0))
        IN_DOUBT.labels(channel).set(counts.get(("in_doubt", channel), 0))
