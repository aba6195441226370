"""``make bench-relay``: the outbox relay alone, against the raw producer, same run.

A service database (the runtime's outbox table) holds N events for N/5 appeals, five per
appeal; the relay publishes them with the service's own publisher (``acks=all``, idempotent as
as the services on this stack) round by round until none is left. The baseline is the same publisher sending
the same records straight from memory. Then every record is read back and checked: none lost,
none twice, each appeal's five in the order they were written. Prints both rates and the
ratio. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import DeadlineApproaching
from appeals_devstack.stack import EmbeddedStack, StackInfo
from appeals_devstack.testing import header, read_topic
from appeals_runtime.migrations import migrate, runtime_migrations
from appeals_runtime.outbox import OutboxMessage, enqueue
from appeals_runtime.publisher import KafkaPublisher, Record
from appeals_runtime.relay import OutboxRelay
from appeals_runtime.settings import ServiceSettings
from appeals_runtime.clock import Clock

PER_APPEAL = 5


def messages(n: int, topic: str) -> list[OutboxMessage]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    appeals = [uuid.uuid4() for _ in range(max(1, n // PER_APPEAL))]
    out = []
    for i in range(n):
        appeal = appeals[i % len(appeals)]
        envelope = Envelope.wrap(DeadlineApproaching(appeal_id=appeal, due_at=at, remind_at=at + timedelta(minutes=i)),
                                 source="/bench", subject=str(appeal), time=Clock().now())
        out.append(OutboxMessage(envelope, key=str(appeal), topic=topic, extra_headers={"x-seq": str(i)}))
    return out


async def run(info: StackInfo, n: int, batch_size: int) -> dict[str, float]:
    admin = await asyncpg.connect(info.postgres_uri)
    await admin.execute('CREATE DATABASE "bench_relay"')
    await admin.close()
    pool = await asyncpg.create_pool(info.database_url("bench_relay"), min_size=2, max_size=4)
    async with pool.acquire() as conn:
        await migrate(conn, runtime_migrations())
    # As the services run on the embedded broker (Tansu has no idempotent producers).
    publisher = KafkaPublisher(ServiceSettings(kafka_bootstrap_servers=info.bootstrap_servers, service_name="bench-relay",
                                               kafka_enable_idempotence=False))
    await publisher.start()
    try:
        # Baseline: the same publisher, the same records, straight from memory.
        base_topic = f"bench-relay-base-{uuid.uuid4().hex[:6]}"
        records = [Record(base_topic, m.key.encode(), m.envelope.kafka_value(),
                          [(k, v) for k, v in m.envelope.kafka_headers(m.extra_headers)])
                   for m in messages(n, base_topic)]
        started = time.monotonic()
        for i in range(0, n, batch_size):
            errors = [e for e in await publisher.send_all(records[i:i + batch_size]) if e is not None]
            assert not errors, errors[:3]
        base_s = time.monotonic() - started

        topic = f"bench-relay-{uuid.uuid4().hex[:6]}"
        outbox = messages(n, topic)
        async with pool.acquire() as conn:
            for i in range(0, n, 5_000):
                async with conn.transaction():
                    await enqueue(conn, outbox[i:i + 5_000])
        relay = OutboxRelay(pool, publisher, batch_size=batch_size)
        started = time.monotonic()
        published = 0
        while published < n:
            done, blocked = await relay.publish_round()
            assert not blocked, "a publish failed"
            published += done
        relay_s = time.monotonic() - started
    finally:
        await publisher.stop()
        await pool.close()

    read = await read_topic(info.bootstrap_servers, topic, until=lambda rs: len(rs) >= n, timeout_s=120)
    ids = [header(r, "ce_id") for r in read]
    per_key: dict[bytes, list[int]] = {}
    for r in read:
        per_key.setdefault(r.key, []).append(int(header(r, "x-seq") or -1))
    problems = []
    if len(set(ids)) != n:
        problems.append(f"{len(set(ids))} of {n} events on the topic")
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids))} published twice")
    disordered = sum(seq != sorted(seq) for seq in per_key.values())
    if disordered:
        problems.append(f"{disordered} appeals' events out of order")
    return {"events": n, "baseline_per_s": n / base_s, "relay_per_s": n / relay_s, "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500, help="OUTBOX_BATCH_SIZE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-relay-") as tmp, EmbeddedStack(Path(tmp), fresh=True) as info:
        result = asyncio.run(run(info, args.events, args.batch_size))
    print(f"events:                               {result['events']}")
    print(f"raw producer (same publisher):        {result['baseline_per_s']:10.0f} events/s")
    print(f"outbox relay (read, publish, mark):   {result['relay_per_s']:10.0f} events/s")
    print(f"ratio relay / raw:                    {result['relay_per_s'] / result['baseline_per_s']:10.3f}")
    for problem in result["problems"]:
        print(f"PROBLEM: {problem}")
    if not result["problems"]:
        print("every event once, each appeal's in order")
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
