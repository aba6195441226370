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

from appeals_devstack.benchmarks import CATEGORIES, baseline, produce_all
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import EmbeddedStack
from appeals_devstack.testing import submission, submission_record
from appeals_runtime.dead_letters import reader


async def _registered(bootstrap: str, records, run: str, n: int, timeout_s: float = 600) -> float:
    """Seconds from producing ``records`` to intake until ``n`` of this run's registrations are out."""
    consumer, _ = await reader(bootstrap, "appeals.registered.v1", wait_s=60)
    start = time.monotonic()
    try:
        await produce_all(bootstrap, "appeals.intake.v1", records)
        seen: set[str] = set()
        deadline = start + timeout_s
        while len(seen) < n and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=200, max_records=10_000)).values():
                for r in batch:
                    mid = json.loads(r.value)["channel_message_id"]
                    if mid.startswith(f"{run}-"):
                        seen.add(mid)
        return time.monotonic() - start
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appeals", type=int, default=50_000)
    args = parser.parse_args()
    n = args.appeals
    run = uuid.uuid4().hex[:8]
    records = [submission_record(submission(f"{run}-{i}", category=CATEGORIES[i % 5])) for i in range(n)]

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, EmbeddedStack(Path(tmp) / "stack", fresh=True) as info:
        baseline_s = asyncio.run(baseline(info.bootstrap_servers, records))["seconds"]
        intake = ServiceProcess(next(s for s in SERVICES if s.name == "intake"), info, Path(tmp) / "logs").start()
        try:
            intake.wait_ready()
            intake_s = asyncio.run(_registered(info.bootstrap_servers, records, run, n))
        finally:
            intake.stop()

    baseline_rate, intake_rate = n / baseline_s, n / intake_s
    print(f"appeals:                        {n}")
    print(f"raw aiokafka produce+consume:   {baseline_rate:10.0f} records/s  ({baseline_s:.1f} s)")
    print(f"intake registrations:           {intake_rate:10.0f} appeals/s  ({intake_s:.1f} s)")
    print(f"ratio intake / baseline:        {intake_rate / baseline_rate:10.3f}")


if __name__ == "__main__":
    main()
