"""A broker that lost the service's history: the embedded broker keeps its data in memory, so
after ``make run`` is stopped and started it knows none of the events published before, and
events that were published but not yet consumed downstream would be lost.

At start, before the relay and the consumers run, each service compares what it knows it
published with what the broker holds: for a topic only this service writes, every record it
published is an offset the broker has handed out, so the topic's end offsets (summed over its
partitions) can never be below the number of retained outbox rows published to it, however
much the broker's retention has deleted since. If they are below, the broker is not the one
those rows went to: the service marks its retained outbox unpublished and the relay publishes
it again, in order. Consumers of a broker that lost its history have no committed offsets and
read from the beginning; their inboxes turn what they already applied into no-ops.

On Apache Kafka, which keeps its log and the consumer offsets on disk and replicated, the
check never fires. Rows older than ``OUTBOX_RETENTION_S`` are gone from the outbox and cannot
be republished; records producers outside the platform wrote (adapters, portals) are theirs
to send again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import asyncpg

from aiokafka.errors import TopicAuthorizationFailedError

from appeals_runtime.dead_letters import end_offsets, high_watermarks

log = logging.getLogger(__name__)


async def published_counts(conn: asyncpg.Connection, topics: set[str]) -> dict[str, int]:
    rows = await conn.fetch(
        """SELECT topic, count(*) AS n FROM outbox WHERE published_at IS NOT NULL AND topic = ANY($1::text[])
           GROUP BY topic""", sorted(topics))
    return {r["topic"]: r["n"] for r in rows}


def lost_topics(published: dict[str, int], ends: dict[Any, int]) -> list[str]:
    """The topics whose end offsets cannot hold what was published to them."""
    held: dict[str, int] = defaultdict(int)
    for tp, end in ends.items():
        held[tp.topic] += end
    return sorted(topic for topic, n in published.items() if held.get(topic, 0) < n)


async def _lost(client_options: dict[str, Any], published: dict[str, int]) -> list[str]:
    """ListOffsets first (Describe is enough, and Apache Kafka's answer is exact); a topic that
    looks short is read to its high watermark, because the embedded broker's ListOffsets answers
    low. Under ACLs a service may not read the topics it writes: there ListOffsets stands."""
    lost = lost_topics(published, await end_offsets(client_options, sorted(published)))
    if not lost:
        return []
    try:
        ends = await high_watermarks(client_options, lost)
    except TopicAuthorizationFailedError:
        return lost
    return lost_topics({t: published[t] for t in lost}, ends)


async def republish_if_history_lost(pool: asyncpg.Pool, client_options: dict[str, Any], own_topics: set[str]) -> int:
    """Check the topics only this service writes; when the broker lost them, mark the whole
    retained outbox unpublished. Returns the rows to publish again (0: nothing lost)."""
    if not own_topics:
        return 0
    async with pool.acquire() as conn:
        published = await published_counts(conn, own_topics)
    if not published:
        return 0
    lost = await _lost(client_options, published)
    if not lost:
        return 0
    async with pool.acquire() as conn:
        status = await conn.execute("UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL")
    again = int(status.split()[-1])
    log.warning("the broker does not hold what this service published to %s (a broker that lost its data, "
                "e.g. the embedded one restarted): publishing the %d retained outbox rows again", ", ".join(lost), again)
    return again
