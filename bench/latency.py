"""``make bench-latency``: a steady stream of appeals, and how long each waits at each stage.

The platform as ``make bench-surge`` runs it. An adapter produces RATE valid submissions a
second (default 200) for DURATION seconds (default 60), each stamped with ``submitted_at``
when it is produced; the stages are read from the events' own timestamps: registered
(``registered_at``), assigned and scheduled (the event's time), the citizen's registration
notice handed to its provider (``delivered_at``). Prints p50, p95, p99 and the maximum per
stage, checks that every appeal got through every stage, and writes the result as JSON under
``bench/results/``. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from appeals_devstack.benchmarks import BENCH_ENV, Observer, add_scale_argument, percentiles, save_json, surge_submission
from appeals_devstack.platform import Platform, running
from appeals_devstack.testing import submission_record
from appeals_runtime.clock import Clock

RESULTS = Path(__file__).parent / "results"
STAGES = ("registered", "assigned", "scheduled", "citizen_notice")


async def steady(platform: Platform, rate: float, duration_s: float, settle_s: float) -> dict[str, Any]:
    assert platform.info is not None
    observer = Observer(platform)
    await observer.start()
    producer = AIOKafkaProducer(bootstrap_servers=platform.info.bootstrap_servers, acks="all", linger_ms=0)
    await producer.start()
    run, n = uuid.uuid4().hex[:8], int(rate * duration_s)
    started = time.monotonic()
    try:
        for i in range(n):
            # On schedule, not "as fast as possible": a late tick sends at once, never bunches more.
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            key, value, headers = submission_record(surge_submission(run, i, submitted_at=Clock().now()))
            await producer.send("appeals.intake.v1", value, key=key, headers=headers)
            if i % int(rate) == 0:
                print(f"\r{time.monotonic() - started:6.1f} s  {i:>6} sent", end="", flush=True)
        await producer.flush()
    finally:
        await producer.stop()
    print()
    produced_s = time.monotonic() - started
    finished = await observer.wait_all(n, timeout_s=settle_s, stages=STAGES)
    await observer.stop()
    stages = {name: percentiles(list(observer.stages[name].latency_s.values())) for name in STAGES}
    problems = [f"{name}: {len(observer.stages[name].first)} of {n}" for name in STAGES
                if len(observer.stages[name].first) != n]
    return {"rate_per_s": rate, "duration_s": duration_s, "appeals": n, "produced_in_s": round(produced_s, 2),
            "finished": finished, "from_submitted_to": stages, "problems": problems}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=300.0, help="seconds to wait for the last appeals")
    parser.add_argument("--results", type=Path, default=RESULTS)
    add_scale_argument(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        platform = Platform(Path(tmp), env=BENCH_ENV, sink_stall_s=15.0, scale=dict(args.scale))
        print("starting the platform ...", flush=True)
        with running(platform):
            result = asyncio.run(steady(platform, args.rate, args.duration, args.settle))
    path = save_json(result, args.results, f"latency-{args.rate:.0f}")
    print(f"{result['appeals']} appeals at {args.rate:.0f}/s for {args.duration:.0f} s "
          f"(produced in {result['produced_in_s']:.1f} s)\n")
    print(f"{'from submitted to':<20}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, p in result["from_submitted_to"].items():
        if p:
            print(f"{name:<20}{p['p50_ms']:>10.0f}{p['p95_ms']:>10.0f}{p['p99_ms']:>10.0f}{p['max_ms']:>10.0f}")
    for problem in result["problems"]:
        print(f"PROBLEM: {problem}")
    print(f"\nresult: {path}")
    return 1 if result["problems"] or not result["finished"] else 0


if __name__ == "__main__":
    sys.exit(main())
