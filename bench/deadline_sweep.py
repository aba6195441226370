"""Timer-sweep cost with 1,000,000 open deadlines relative to 10,000, in the same run.

Two databases get the tracker's schema and N open deadlines (three future timers each:
two reminders and the breach), plus the same due batch of 500 timers whose time has
come. The measured step is the tracker's own sweep transaction (``fire_due_timers``:
claim with SKIP LOCKED, look up the open deadlines, announce the events; the outbox
write, whose cost does not depend on N, is left out), rolled back and repeated, so every repetition sweeps the same batch. The index on due,
unfired timers keeps the cost tied to the batch, so the ratio should stay near 1.
Not a test; run with ``make bench-deadlines``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg

from appeals_deadlines import handlers
from appeals_deadlines.adapters.unit_of_work import PostgresUnitOfWork
from appeals_devstack.stack import EmbeddedStack
from appeals_runtime.clock import Clock
from appeals_runtime.migrations import discover, migrate, runtime_migrations

DUE_BATCH = 500
CLOCK = Clock()


async def prepare(url: str, open_deadlines: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn, runtime_migrations() + discover("deadline-tracker", "appeals_deadlines.migrations"))
        now = Clock().now()
        chunk = 100_000
        for start in range(0, open_deadlines, chunk):
            deadlines, timers = [], []
            for i in range(start, min(start + chunk, open_deadlines)):
                appeal = uuid.uuid4()
                due_now = i < DUE_BATCH
                registered = now - timedelta(days=20 if due_now else 1, seconds=i)
                due = registered + timedelta(days=15)
                deadlines.append((appeal, "seed.calendar_15", "seed", registered, due, False, "open"))
                timers += [(appeal, "reminder", due, due - timedelta(days=3)),
                           (appeal, "reminder", due, due - timedelta(days=1)), (appeal, "breach", due, due)]
            await conn.copy_records_to_table("deadlines", records=deadlines, columns=(
                "appeal_id", "policy_code", "regime", "registered_at", "due_at", "extended", "status"))
            await conn.copy_records_to_table("timers", records=timers, columns=("appeal_id", "kind", "due_at", "fire_at"))
        await conn.execute("VACUUM ANALYZE deadlines")
        await conn.execute("VACUUM ANALYZE timers")
    finally:
        await conn.close()


class _Rollback(Exception):
    """Leaves the unit of work without committing, so every sweep finds the same due batch."""


async def sweep_once(pool: asyncpg.Pool) -> float:
    start = time.perf_counter()
    try:
        async with PostgresUnitOfWork(pool, source="/bench", clock=CLOCK) as uow:
            fired = await handlers.fire_due_timers(uow, now=CLOCK.now(), limit=DUE_BATCH)
            elapsed = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    assert fired == DUE_BATCH, fired
    return elapsed


async def measure(urls: dict[int, str], repetitions: int) -> dict[int, float]:
    conns = {n: await asyncpg.create_pool(u, min_size=1, max_size=1) for n, u in urls.items()}
    samples: dict[int, list[float]] = {n: [] for n in urls}
    try:
        for n, conn in conns.items():
            for _ in range(3):
                await sweep_once(conn)  # warm caches
        for _ in range(repetitions):  # interleaved, so machine noise hits both alike
            for n, conn in conns.items():
                samples[n].append(await sweep_once(conn))
    finally:
        for conn in conns.values():
            await conn.close()
    return {n: statistics.median(s) for n, s in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repetitions", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, EmbeddedStack(Path(tmp) / "stack", fresh=True) as info:
        async def setup() -> dict[int, str]:
            admin = await asyncpg.connect(info.postgres_uri)
            urls = {}
            for n in (args.small, args.large):
                await admin.execute(f"CREATE DATABASE bench_{n}")
                urls[n] = info.database_url(f"bench_{n}")
            await admin.close()
            for n, url in urls.items():
                started = time.perf_counter()
                await prepare(url, n)
                print(f"loaded {n:>9,} open deadlines ({3 * n:,} timers) in {time.perf_counter() - started:.0f} s")
            return urls

        urls = asyncio.run(setup())
        medians = asyncio.run(measure(urls, args.repetitions))
    small, large = medians[args.small], medians[args.large]
    print(f"sweep of a due batch of {DUE_BATCH}, median of {args.repetitions}:")
    print(f"  {args.small:>9,} open deadlines: {small * 1000:8.1f} ms")
    print(f"  {args.large:>9,} open deadlines: {large * 1000:8.1f} ms")
    print(f"  ratio large / small:           {large / small:8.2f}")


if __name__ == "__main__":
    main()
