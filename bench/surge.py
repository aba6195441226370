"""``make bench-surge``: the article's surge through all five services, against the raw broker.

1. The platform as ``make chaos`` runs it: embedded PostgreSQL and broker, the local mail and
   SMS sinks, the five services as processes of their own.
2. Baseline, same run: a plain aiokafka producer and consumer move the same N submission
   records through a fresh topic (no processing at all).
3. The surge: N valid submissions produced at once to ``appeals.intake.v1`` with a channel mix
   (e-mail, SMS, in-channel replies). The bench follows every appeal through the stages from
   the events (registered, assigned, scheduled, inspection's read model, the citizen's
   registration notice and the executor's notice handed to their provider) until all N are
   through every stage.

It prints per stage when all N were there, the stage's rate and the end-to-end rate as a
ratio to the baseline, CPU seconds per 1,000 appeals and peak RSS per service, the exact
counts and the duplicates found in the sinks; and writes the result as JSON and a chart of
stage counts over time (PNG) under ``bench/results/``. Not a test: the machine is shared and
noisy, so compare ratios. Exits 1 when a count is off or a stage did not finish.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from appeals_devstack.benchmarks import (
    BENCH_ENV,
    STAGES,
    Observer,
    Resources,
    add_scale_argument,
    baseline,
    notification_settled,
    produce_all,
    save_json,
    sink_counts,
    surge_records,
)
from appeals_devstack.platform import Platform, running
from appeals_devstack.services import DATABASES
from appeals_devstack.testing import read_to_end

RESULTS = Path(__file__).parent / "results"


def start_profiles(platform: Platform, directory: Path) -> list[subprocess.Popen]:
    """py-spy recording each service process until stopped: collapsed stacks (``<service>.folded``,
    what flamegraph.pl, speedscope or inferno draw as flame graphs) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    pids = {name: p.pid for name, group in platform.processes.items() for p in group[:1] if p.pid}
    pids["bench"] = os.getpid()  # the bench itself: the observer and the local sinks share the cores
    return [subprocess.Popen([str(spy), "record", "--pid", str(pid), "--rate", "50", "--nonblocking",
                              "--format", "raw", "--output", str(directory / f"{name}.folded")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in pids.items()]


def stop_profiles(profiles: list[subprocess.Popen]) -> None:
    for spy in profiles:
        spy.send_signal(signal.SIGINT)  # py-spy writes its flame graph on SIGINT
    for spy in profiles:
        spy.wait(timeout=60)


async def in_every_database(platform: Platform, *statements: str, fetch: str | None = None,
                            args: tuple[Any, ...] = ()) -> dict[str, list[dict[str, Any]]]:
    """Run ``statements`` in each service database, then ``fetch`` (its rows, per database)."""
    assert platform.info is not None
    found = {}
    for database in DATABASES:
        conn = await asyncpg.connect(platform.info.database_url(database))
        try:
            for statement in statements:
                await conn.execute(statement)
            if fetch is not None:
                found[database] = [dict(r) for r in await conn.fetch(fetch, *args)]
        finally:
            await conn.close()
    return found


async def table_activity(platform: Platform, top: int = 4) -> dict[str, list[dict[str, Any]]]:
    """Per service database, the tables PostgreSQL worked hardest on (rows read by sequential
    scans, then index scans): where its share of the CPU goes, beside the services' profiles."""
    return await in_every_database(platform, fetch="""
        SELECT relname AS table, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_del,
               n_live_tup FROM pg_stat_user_tables ORDER BY seq_tup_read DESC, idx_tup_fetch DESC LIMIT $1""",
                                   args=(top,))


def enable_statement_stats(platform: Platform) -> None:
    """Load pg_stat_statements into the embedded server (a restart, which the services ride
    out as they do any database restart) and start counting in every service database."""
    assert platform.info is not None
    info = platform.info

    async def preload() -> None:
        conn = await asyncpg.connect(info.postgres_uri)
        try:
            await conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        finally:
            await conn.close()

    asyncio.run(preload())
    platform.stack.crash_postgres()
    platform.stack.restart_postgres()
    for group in platform.processes.values():  # back on their feet before the surge starts
        for process in group:
            process.wait_ready(timeout_s=120)
    asyncio.run(in_every_database(platform, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
                                  "SELECT pg_stat_statements_reset()"))


async def top_statements(platform: Platform, top: int = 5) -> dict[str, list[dict[str, Any]]]:
    """Per service database, the statements PostgreSQL spent most time executing."""
    return await in_every_database(platform, fetch="""
        SELECT calls, round(total_exec_time)::bigint AS ms, rows,
               left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS statement
        FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY total_exec_time DESC LIMIT $1""", args=(top,))


async def surge(platform: Platform, n: int, timeout_s: float, profile_dir: Path | None = None,
                statements: bool = False) -> dict[str, Any]:
    assert platform.info is not None
    bootstrap = platform.info.bootstrap_servers
    run = uuid.uuid4().hex[:8]
    print(f"building {n} submissions ...", flush=True)
    records = surge_records(run, n)
    print("baseline: raw aiokafka produce + consume ...", flush=True)
    base = await baseline(bootstrap, records)
    print(f"  {base['rate']:.0f} records/s", flush=True)

    observer = Observer(platform)
    await observer.start()
    resources = Resources(platform).start()
    profiles = start_profiles(platform, profile_dir) if profile_dir else []
    started = time.monotonic()
    await produce_all(bootstrap, "appeals.intake.v1", records)
    produced_s = time.monotonic() - started
    finished = await observer.wait_all(n, timeout_s=timeout_s)
    # The stages' notices are through; the others (the citizen's assignment notice) may be behind.
    finished = finished and await notification_settled(platform, timeout_s=max(0.0, timeout_s - (time.monotonic() - started)))
    messages_s = time.monotonic() - started
    usage = await resources.stop()
    stop_profiles(profiles)
    tables = await table_activity(platform) if profile_dir else {}
    costly = await top_statements(platform) if statements else {}
    await asyncio.sleep(2.0)  # anything repeated arrives now or never: counted below
    await observer.stop()

    stages: dict[str, Any] = {}
    for name in STAGES:
        stage = observer.stages[name]
        if not stage.first:
            stages[name] = {"count": 0}
            continue
        last = max(stage.first.values()) - started
        stages[name] = {"count": len(stage.first), "repeated": stage.repeated, "all_after_s": round(last, 2),
                        "rate_per_s": round(len(stage.first) / last, 1)}
    end_to_end_s = max((s.get("all_after_s", 0) for s in stages.values()), default=0)
    outbound = await read_to_end(bootstrap, "notifications.outbound.mobile_app.v1")  # the surge's replying channel
    sinks = sink_counts(platform, outbound)
    executor_mails = sinks.pop("executor_emails")
    sinks["email"] -= executor_mails
    sinks["executor_emails_digests_included"] = executor_mails
    expected = {"sms": 2 * sum(1 for i in range(n) if i % 5 in (2, 3)),
                "email": 2 * sum(1 for i in range(n) if i % 5 < 2),  # the citizens'; executors' apart
                "outbound": 2 * sum(1 for i in range(n) if i % 5 == 4)}
    problems = [f"{name}: {s['count']} of {n}" for name, s in stages.items() if s["count"] != n]
    problems += [f"{name}: seen {s['repeated']} extra times" for name, s in stages.items() if s.get("repeated")]
    problems += [f"sink {channel}: {sinks[channel]} messages, expected {count}"
                 for channel, count in expected.items() if sinks[channel] != count]
    problems += [f"sink {channel}: {count} duplicates" for channel, count in sinks["duplicates"].items() if count]
    messages = sinks["sms"] + sinks["email"] + sinks["outbound"] + executor_mails
    end_to_end_s = max(end_to_end_s, messages_s)
    rate = n / end_to_end_s if end_to_end_s else 0.0
    event_stages_s = max(stages[s].get("all_after_s", 0) for s in ("registered", "assigned", "scheduled", "read_model"))
    return {
        "appeals": n, "finished": finished, "produced_in_s": round(produced_s, 2), "baseline": base,
        "stages": stages,
        "end_to_end": {"seconds": round(end_to_end_s, 2), "appeals_per_s": round(rate, 1),
                       "ratio_to_baseline": round(rate / base["rate"], 4)},
        "event_stages": {"seconds": round(event_stages_s, 2),
                         "appeals_per_s": round(n / event_stages_s, 1) if event_stages_s else 0.0},
        "messages": {"count": messages, "per_s": round(messages / end_to_end_s, 1) if end_to_end_s else 0.0},
        "services": {name: {**u, "cpu_s_per_1000": round(u["cpu_s"] * 1000 / n, 2)} for name, u in usage.items()},
        "tables": tables,
        "statements": costly,
        "sinks": sinks, "expected_in_sinks": expected, "problems": problems,
        "timeline": [{"t": round(t, 2), **counts} for t, counts in observer.timeline],
    }


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    times = [p["t"] for p in result["timeline"]]
    for stage in STAGES:
        ax.plot(times, [p[stage] for p in result["timeline"]], label=stage.replace("_", " "))
    ax.set_xlabel("seconds since the surge was produced")
    ax.set_ylabel("appeals through the stage")
    ax.set_title(f"{result['appeals']:,} appeals: {result['end_to_end']['appeals_per_s']:.0f}/s end to end, "
                 f"baseline {result['baseline']['rate']:.0f} records/s")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def report(result: dict[str, Any]) -> str:
    lines = [f"appeals: {result['appeals']} on the {result.get('kafka', 'embedded')} broker   "
             "baseline (raw aiokafka produce + consume): "
             f"{result['baseline']['rate']:.0f} records/s", "",
             f"{'stage':<18}{'all after':>12}{'rate/s':>10}"]
    for name, s in result["stages"].items():
        lines.append(f"{name:<18}{s.get('all_after_s', float('nan')):>11.1f}s{s.get('rate_per_s', 0):>10.0f}")
    e2e = result["end_to_end"]
    lines += ["", f"end to end: {e2e['appeals_per_s']:.0f} appeals/s, ratio to baseline {e2e['ratio_to_baseline']:.4f}",
              f"event stages alone: {result['event_stages']['appeals_per_s']:.0f} appeals/s",
              f"messages into the sinks: {result['messages']['count']} ({result['messages']['per_s']:.0f}/s)", "",
              f"{'service':<18}{'CPU s/1000':>12}{'peak RSS MB':>13}"]
    for name, u in result["services"].items():
        processes = result.get("processes", {}).get(name, 1)
        label = f"{name} ×{processes}" if processes > 1 else name  # CPU summed, RSS the largest one's
        lines.append(f"{label:<18}{u['cpu_s_per_1000']:>12.2f}{u['peak_rss_mb']:>13.0f}")
    sinks = result["sinks"]
    lines += ["", f"sinks: {sinks['email']} e-mails to citizens, {sinks['executor_emails_digests_included']} to "
              f"executors (digests count one), {sinks['sms']} SMS, {sinks['outbound']} in-channel replies; "
              f"duplicates {sinks['duplicates']}"]
    lines += [f"PROBLEM: {p}" for p in result["problems"]] or ["counts exact, no duplicates"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=None, help="seconds for all stages (default: scales with N)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--profile", action="store_true",
                        help="record each service and the bench itself with py-spy during the surge (profiles beside the result)")
    parser.add_argument("--statements", action="store_true",
                        help="count PostgreSQL's statements (pg_stat_statements, loaded by a restart of the server, whose CPU is then not counted) and list the costliest per database")
    parser.add_argument("--kafka", choices=("embedded", "apache"), default="embedded",
                        help="the broker: the embedded one, or a three-node Apache Kafka (SASL_SSL, ACLs, RF 3)")
    add_scale_argument(parser)
    args = parser.parse_args()
    profile_dir = args.results / f"surge-{args.appeals}-profiles" if args.profile else None
    timeout = args.timeout or max(300.0, args.appeals / 20)
    with tempfile.TemporaryDirectory(prefix="bench-surge-") as tmp:
        platform = Platform(Path(tmp), env=BENCH_ENV, sink_stall_s=15.0, scale=dict(args.scale), kafka=args.kafka)
        print("starting the platform ...", flush=True)
        with running(platform):
            if args.statements:
                enable_statement_stats(platform)
            result = asyncio.run(surge(platform, args.appeals, timeout, profile_dir, args.statements))
            result["processes"] = {name: len(group) for name, group in platform.processes.items()}
            result["kafka"] = args.kafka
    path = save_json(result, args.results, f"surge-{args.appeals}" + ("-apache" if args.kafka == "apache" else ""))
    chart(result, path.with_suffix(".png"))
    print(report(result))
    print(f"\nresult: {path}\nchart:  {path.with_suffix('.png')}")
    if profile_dir:
        print(f"profiles (collapsed stacks for a flame graph): {profile_dir}/<service>.folded")
        print("\ntables PostgreSQL worked hardest on (rows read by sequential scans / by index):")
        for database, rows in result["tables"].items():
            for r in rows:
                print(f"  {database:<17} {r['table']:<24} seq {r['seq_scan']:>7} scans {r['seq_tup_read']:>11} rows"
                      f"   idx {r['idx_scan'] or 0:>8} scans {r['idx_tup_fetch'] or 0:>10} rows   live {r['n_live_tup']}")
    if args.statements:
        print("\nstatements PostgreSQL spent most time on, per database:")
        for database, rows in result["statements"].items():
            for r in rows:
                print(f"  {database:<17} {r['ms']:>7} ms {r['calls']:>7} calls {r['rows']:>8} rows  {r['statement']}")
    return 1 if result["problems"] or not result["finished"] else 0


if __name__ == "__main__":
    sys.exit(main())
