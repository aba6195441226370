"""The platform's metrics (prometheus-client), the same in every service, on ``GET /metrics``.

Labels are bounded: consumer groups, topics, event types, task names. Never an appeal id or
anything a citizen wrote.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
from prometheus_client import Counter, Gauge, Histogram

from appeals_runtime.clock import Clock

log = logging.getLogger(__name__)

EVENTS_HANDLED = Counter("appeals_events_handled_total", "Events applied by a consumer",
                         ["consumer", "topic", "event_type"])
EVENTS_DUPLICATE = Counter("appeals_events_duplicate_total", "Redelivered events the inbox turned into no-ops",
                           ["consumer", "topic"])
DEAD_LETTERS = Counter("appeals_dead_letters_total", "Records written to a dead-letter topic", ["consumer", "topic"])
TRANSIENT_RETRIES = Counter("appeals_transient_retries_total", "Retries of a transient fault", ["consumer"])
REWINDS = Counter("appeals_batch_rewinds_total", "Batches read again after transient faults outlasted the retries",
                  ["consumer"])
BATCH_SECONDS = Histogram("appeals_batch_seconds", "Time to apply and commit one fetched batch", ["consumer"])
BATCH_SIZE = Histogram("appeals_batch_size", "Records per fetched batch", ["consumer"],
                       buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000))
OUTBOX_BACKLOG = Gauge("appeals_outbox_backlog_rows", "Outbox rows not yet published")
OUTBOX_OLDEST = Gauge("appeals_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row (0: none)")
RELAY_LEADER = Gauge("appeals_relay_leader", "1 while this process's relay is the active publisher")
RELAY_PUBLISHED = Counter("appeals_relay_published_total", "Outbox rows published", ["topic"])
RELAY_ERRORS = Counter("appeals_relay_publish_errors_total", "Outbox rows whose publishing failed", ["topic"])
INBOX_ROWS = Gauge("appeals_inbox_rows", "Processed-event ids kept in the inbox (planner's estimate)")
INBOX_PURGED = Counter("appeals_inbox_purged_total", "Inbox rows removed after the retention window")
TASK_RESTARTS = Counter("appeals_task_restarts_total", "Background tasks restarted after a failure", ["task"])
TASK_UP = Gauge("appeals_task_up", "1 while a background task runs, 0 while it waits to restart", ["task"])
READY = Gauge("appeals_ready", "1 while every readiness check passes (what /health/ready answers)")
CONSUMER_LAG = Gauge("appeals_consumer_lag_records",
                     "Records not yet consumed: the partition's end offset minus the group's committed offset",
                     ["consumer", "topic", "partition"])

#: A service's own gauges, read from its database at ``now`` (the service's clock).
OwnSample = Callable[[asyncpg.Connection, datetime], Awaitable[None]]


async def sample_ready(health: Any) -> bool:
    """``appeals_ready`` from the readiness checks (a polling-worker step of a process without
    a database: the people's applications)."""
    READY.set(1 if all((await health.results()).values()) else 0)
    return False


async def sample(pool: asyncpg.Pool, relay: object, *, clock: Clock | None = None, own: OwnSample | None = None,
                 broker: Any = None, health: Any = None) -> bool:
    """Refresh the gauges read from the database and the consumers (a polling-worker step)."""
    if health is not None:
        await sample_ready(health)
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT count(*) AS rows, extract(epoch FROM now() - min(created_at)) AS oldest
               FROM outbox WHERE published_at IS NULL""")
        OUTBOX_BACKLOG.set(row["rows"])
        OUTBOX_OLDEST.set(float(row["oldest"] or 0.0))
        INBOX_ROWS.set(max(0.0, await conn.fetchval("SELECT reltuples FROM pg_class WHERE relname = 'inbox'") or 0.0))
        if own is not None:
            await own(conn, (clock or Clock()).now())
    RELAY_LEADER.set(1 if getattr(relay, "is_leader", False) else 0)
    if broker is not None:
        await sample_lag(broker)
    return False


_lag_labels: set[tuple[str, str, str]] = set()


async def sample_lag(broker: Any) -> None:
    """Consumer lag of every partition this process's consumers hold. The end offset is the
    high watermark of the consumer's last fetch (the embedded broker's ListOffsets answer is
    not reliable); the committed offset is asked of the group coordinator. Partitions that
    moved to another replica drop out of this process's series."""
    global _lag_labels
    seen: set[tuple[str, str, str]] = set()
    for subscriber in broker.subscribers:
        consumer = getattr(subscriber, "consumer", None)
        if consumer is None:
            continue
        for tp in consumer.assignment():
            high = consumer.highwater(tp)
            if high is None:
                continue
            committed = await consumer.committed(tp)
            labels = (str(subscriber.group_id), tp.topic, str(tp.partition))
            CONSUMER_LAG.labels(*labels).set(max(0, high - (committed or 0)))
            seen.add(labels)
    for gone in _lag_labels - seen:
        CONSUMER_LAG.remove(*gone)
    _lag_labels = seen


async def purge_inbox(pool: asyncpg.Pool, retention_s: float, batch: int = 10_000) -> bool:
    """Delete one batch of inbox rows older than ``retention_s``; True when more may be left.
    Keep the window longer than Kafka's retention: a redelivery older than that cannot come."""
    started = time.monotonic()
    async with pool.acquire() as conn:
        status = await conn.execute(
            """DELETE FROM inbox WHERE ctid IN (
                   SELECT ctid FROM inbox WHERE processed_at < now() - make_interval(secs => $1) LIMIT $2)""",
            retention_s, batch)
    deleted = int(status.split()[-1])
    INBOX_PURGED.inc(deleted)
    if deleted:
        log.info("inbox: %d rows past retention removed in %.2f s", deleted, time.monotonic() - started)
    return deleted == batch
