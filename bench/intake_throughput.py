"""Intake throughput against a raw Kafka baseline, measured in the same run.

1. Baseline: a plain aiokafka producer publishes N submission records to a fresh topic and
   a plain consumer reads them back (produce + consume, no processing).
2. Intake: the same N records go to ``appeals.intake.v1`` with the intake service running
   as a separate process; the clock stops when N ``appeal.registered`` events were read
   back from ``appeals.registered.v1`` (validation, dedup, numbering, PostgreSQL commit,
   outbox relay and publish all included).

Prints both rates and their ratio. The machine is shared and noisy: compare ratios, not
absolute numbers. Not a test; run with ``make bench-intake``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import EmbeddedStack
from appeals_devstack.testing import produce, submission, submission_record

CATEGORIES = ("social_aid", "city_entry_exit", "education", "benefits", "movement_within_city")


async def _consume_count(bootstrap: str, topic: str, n: int, *, match=None, timeout_s: float = 600) -> float:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4().hex}",
                                auto_offset_reset="earliest", enable_auto_commit=False, max_partition_fetch_bytes=4 << 20)
    await consumer.start()
    seen: set = set()
    deadline = time.monotonic() + timeout_s
    try:
        while len(seen) < n and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200, max_records=10_000)).values():
                for r in records:
                    if match is None or match(r):
                        seen.add((r.partition, r.offset) if match is None else r.key)
        return time.monotonic()
    finally:
        await consumer.stop()


async def _timed(bootstrap: str, in_topic: str, out_topic: str, records, n: int, match=None) -> float:
    start = time.monotonic()
    reader = asyncio.create_task(_consume_count(bootstrap, out_topic, n, match=match))
    await produce(bootstrap, in_topic, records)
    end = await reader
    return end - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appeals", type=int, default=50_000)
    args = parser.parse_args()
    n = args.appeals
    run = uuid.uuid4().hex[:8]
    records = [submission_record(submission(f"{run}-{i}", category=CATEGORIES[i % 5])) for i in range(n)]

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, EmbeddedStack(Path(tmp) / "stack", fresh=True) as info:
        baseline_topic = f"bench-baseline-{run}"
        baseline_s = asyncio.run(_timed(info.bootstrap_servers, baseline_topic, baseline_topic, records, n))
        intake = ServiceProcess(next(s for s in SERVICES if s.name == "intake"), info, Path(tmp) / "logs").start()
        try:
            intake.wait_ready()
            intake_s = asyncio.run(_timed(
                info.bootstrap_servers, "appeals.intake.v1", "appeals.registered.v1", records, n,
                match=lambda r: json.loads(r.value)["channel_message_id"].startswith(f"{run}-")))
        finally:
            intake.stop()

    baseline_rate, intake_rate = n / baseline_s, n / intake_s
    print(f"appeals:                        {n}")
    print(f"raw aiokafka produce+consume:   {baseline_rate:10.0f} records/s  ({baseline_s:.1f} s)")
    print(f"intake registrations:           {intake_rate:10.0f} appeals/s  ({intake_s:.1f} s)")
    print(f"ratio intake / baseline:        {intake_rate / baseline_rate:10.3f}")


if __name__ == "__main__":
    main()
