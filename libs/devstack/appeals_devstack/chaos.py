"""``make chaos``: the whole platform under the faults operators see, and a checker that says
whether anything was lost, applied twice, sent twice or put out of order.

Each run starts the embedded stack, the local mail and SMS sinks and the five services as
processes (two replicas each in the ``replicas`` scenario), plays a surge through the whole
lifecycle (the demo: citizens, executors' portals, inspectors) and injects faults at moments
drawn from the run's seed:

* ``kill``: SIGKILL of a service process (during its relay's publishing and its delivery
  batches, whatever it was doing), started again 1-3 s later as an orchestrator would;
* ``database``: PostgreSQL stopped with ``-m immediate`` and started 3-8 s later;
* ``smtp`` / ``sms``: the mail server or the SMS gateway refusing, timing out, closing the
  connection, or (SMS) accepting and losing its answer, for 3-8 s;
* ``poison``: a record that is no event on every topic the services consume.

On Apache Kafka (``--kafka apache``: three KRaft nodes, replication factor 3,
``min.insync.replicas=2``, SASL_SSL and the ACLs), the ``broker`` scenario adds the engine's
own faults, one node at a time, each followed by waiting for every replica to be back in sync:

* ``leader``: SIGKILL of the node leading ``appeals.intake.v1``'s first partition during the
  surge, started again 2-6 s later;
* ``pause``: a node stopped with SIGSTOP for 12-18 s, longer than the brokers' session timeout
  (9 s: the controller fences it and moves its leaderships) and the consumers' (10 s), then
  SIGCONT;
* ``controller``: SIGKILL of the active controller (the quorum's leader), so the other two
  elect a new one, started again 2-6 s later;
* ``rebalance``: one more process of a service joins its consumer groups while batches are in
  flight and leaves 3-8 s later (two rebalances).

The checker reads only what the platform leaves behind (each service's tables, the topics,
the sinks), not the services' code, and asserts: every valid submission registered once;
every appeal closed or not routed; every event on a consumed topic applied by each consuming
service (the inbox holds it once); per appeal and topic, events in the order their producer
wrote them; every notice delivered exactly once at the sinks, or failed or in doubt with a
reason; nothing left pending, sending or waiting.

A report per run lands in ``bench/results/chaos/`` (scenario, seed, faults with their times,
counts per stage, violations); ``make chaos RUNS=n`` prints a table over all runs.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import logging
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from appeals_contracts.envelope import Envelope
from appeals_devstack.demo import Demo
from appeals_devstack.platform import Platform, running
from appeals_devstack.services import SERVICES
from appeals_devstack.testing import produce
from appeals_runtime.asyncapi import receives
from appeals_runtime.dead_letters import read_to_end

ROOT = Path(__file__).parents[3]
RESULTS = ROOT / "bench" / "results" / "chaos"
SCENARIOS: dict[str, tuple[str, ...]] = {
    "kill": ("kill",),
    "database": ("database",),
    "providers": ("smtp", "sms"),
    "poison": ("poison",),
    "replicas": ("kill",),
    "mixed": ("kill", "database", "smtp", "sms", "poison"),
    "broker": ("leader", "pause", "controller", "rebalance"),
}
#: Scenarios only Apache Kafka can play (the embedded broker is one process, in memory).
APACHE_ONLY = {"broker"}
#: The partition whose leader a ``leader`` fault kills: the one every submission goes through.
SURGE_TOPIC = "appeals.intake.v1"
#: Topics each service consumes and produces (its outbox), from the AsyncAPI documents.
ASYNCAPI = ROOT / "docs" / "asyncapi"
#: Fast retries and short provider time-outs, so faults of seconds are ridden out in seconds.
SERVICE_ENV = {"DELIVERY_RETRY_INITIAL_S": "0.5", "DELIVERY_RETRY_CEILING_S": "2", "DELIVERY_MAX_ATTEMPTS": "60",
               "DELIVERY_POLL_INTERVAL_S": "0.3", "SMTP_TIMEOUT_S": "2", "SMS_TIMEOUT_S": "2",
               "DELIVERY_SENDING_LEASE_S": "10", "SMS_QUIET_HOURS": "", "OTEL_TRACES_EXPORTER": "none"}


@dataclass
class Fault:
    at_s: float
    kind: str
    target: str = ""
    duration_s: float = 0.0


@dataclass
class Report:
    scenario: str
    seed: int
    faults: list[Fault]
    counts: dict[str, int] = field(default_factory=dict)
    checks: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    converged: bool = False
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.converged and not self.violations


def plan(scenario: str, seed: int, load_s: float) -> list[Fault]:
    """The faults of one run: 3-5 at moments drawn from ``seed`` within the load."""
    r = random.Random(seed)
    kinds = SCENARIOS[scenario]
    faults = []
    for _ in range(r.randint(3, 5)):
        kind = r.choice(kinds)
        at = round(r.uniform(2.0, max(3.0, load_s - 1.0)), 1)
        if kind == "kill":
            faults.append(Fault(at, kind, r.choice([s.name for s in SERVICES]), round(r.uniform(1, 3), 1)))
        elif kind in ("smtp", "sms"):
            modes = ("refuse", "timeout", "close") + (("lose_answer",) if kind == "sms" else ())
            faults.append(Fault(at, kind, r.choice(modes), round(r.uniform(3, 8), 1)))
        elif kind == "database":
            faults.append(Fault(at, kind, "postgresql", round(r.uniform(3, 8), 1)))
        elif kind in ("leader", "controller"):
            faults.append(Fault(at, kind, "kafka", round(r.uniform(2, 6), 1)))
        elif kind == "pause":
            faults.append(Fault(at, kind, "kafka", round(r.uniform(12, 18), 1)))
        elif kind == "rebalance":
            faults.append(Fault(at, kind, r.choice([s.name for s in SERVICES]), round(r.uniform(3, 8), 1)))
        else:
            faults.append(Fault(at, kind))
    return sorted(faults, key=lambda f: f.at_s)


def _topics(service: str) -> tuple[dict[str, frozenset[str]], set[str]]:
    """What ``service`` reads (topic → the event types it handles) and the topics it writes."""
    document = json.loads((ASYNCAPI / f"{service}.json").read_text("utf-8"))
    writes = {name.split(":", 1)[0] for name, operation in document["operations"].items()
              if operation["action"] == "send"}
    return receives(document), writes


class Injector:
    """Carries out a run's faults at their moments, each in a thread of its own."""

    def __init__(self, platform: Platform, seed: int) -> None:
        self.platform = platform
        self.random = random.Random(seed)
        self.log: list[str] = []
        self._threads: list[threading.Thread] = []
        # Faults on the same thing do not overlap: a second one waits for the first to end.
        self._locks: defaultdict[tuple[str, str], threading.Lock] = defaultdict(threading.Lock)

    def schedule(self, faults: list[Fault], started: float) -> None:
        for fault in faults:
            thread = threading.Thread(target=self._at, args=(fault, started), daemon=True)
            thread.start()
            self._threads.append(thread)

    def join(self) -> None:
        for thread in self._threads:
            thread.join(120)

    def _at(self, fault: Fault, started: float) -> None:
        time.sleep(max(0.0, started + fault.at_s - time.monotonic()))
        # One broker fault at a time: two nodes of three down would stop the quorum and min.insync.
        lock = self._locks[("kafka", "") if fault.target == "kafka"
                           else (fault.kind, fault.target if fault.kind in ("kill", "rebalance") else "")]
        try:
            with lock:
                getattr(self, f"_{fault.kind}")(fault)
            self.log.append(f"{time.monotonic() - started:6.1f}s {fault.kind} {fault.target} done")
        except Exception as exc:  # noqa: BLE001 - a fault that could not be injected is reported, not fatal
            self.log.append(f"{time.monotonic() - started:6.1f}s {fault.kind} {fault.target} failed: {exc!r}")

    def _kill(self, fault: Fault) -> None:
        process = self.random.choice(self.platform.processes[fault.target])
        process.kill()
        time.sleep(fault.duration_s)
        self.platform.restart(process)

    def _database(self, fault: Fault) -> None:
        self.platform.stack.crash_postgres()
        time.sleep(fault.duration_s)
        self.platform.stack.restart_postgres()

    def _smtp(self, fault: Fault) -> None:
        self.platform.mail.mode = fault.target
        time.sleep(fault.duration_s)
        self.platform.mail.mode = "ok"

    def _sms(self, fault: Fault) -> None:
        self.platform.sms.mode = fault.target
        time.sleep(fault.duration_s)
        self.platform.sms.mode = "ok"

    @property
    def _kafka(self):
        cluster = self.platform.stack.apache_kafka
        if cluster is None:
            raise RuntimeError("broker faults need Apache Kafka (--kafka apache)")
        return cluster

    def _leader(self, fault: Fault) -> None:
        self._crash(self._kafka.leader_of(SURGE_TOPIC, 0), fault)

    def _controller(self, fault: Fault) -> None:
        self._crash(self._kafka.active_controller(), fault)

    def _crash(self, node, fault: Fault) -> None:
        cluster = self._kafka
        fault.target = f"kafka node {node.node_id}"
        cluster.kill(node)
        time.sleep(fault.duration_s)
        self.platform.on_starter(lambda: cluster.start_node(node))
        cluster.wait_in_sync(timeout_s=180)

    def _pause(self, fault: Fault) -> None:
        cluster = self._kafka
        node = self.random.choice(cluster.nodes)
        fault.target = f"kafka node {node.node_id}"
        cluster.pause(node)
        try:
            time.sleep(fault.duration_s)
        finally:
            cluster.resume(node)
        cluster.wait_in_sync(timeout_s=180)

    def _rebalance(self, fault: Fault) -> None:
        extra = self.platform.extra_process(fault.target)
        self.platform.on_starter(lambda: (extra.start(), extra.wait_ready(timeout_s=180)))
        time.sleep(fault.duration_s)
        extra.stop()  # SIGTERM: it leaves its groups, and the others take its partitions back

    def _poison(self, fault: Fault) -> None:
        assert self.platform.info is not None
        consumed = sorted({t for s in SERVICES for t in _topics(s.name)[0]})
        poison = [(b"chaos-poison", b"{not an event", [("ce_type", b"appeal.registered")])]
        for topic in consumed:
            asyncio.run(produce(self.platform.info.bootstrap_servers, topic, poison))


async def check(platform: Platform, demo: Demo) -> tuple[dict[str, int], list[str]]:
    """What the platform left behind, judged on its own terms; (counts, violations)."""
    info = platform.info
    assert info is not None
    violations: list[str] = []
    counts: Counter[str] = Counter()
    appeals = set(demo.progress.registered)
    valid = demo.progress.sent_ids - demo.progress.invalid_ids

    async def rows(service: str, query: str, *args: Any) -> list[asyncpg.Record]:
        database = next(s for s in SERVICES if s.name == service).database
        conn = await asyncpg.connect(info.database_url(database))
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    # Every valid submission registered once, none lost.
    registered = await rows("intake", "SELECT appeal_id::text AS id, channel_message_id FROM appeals "
                                      "WHERE channel_message_id LIKE $1", f"demo-{demo.run_id}-%")
    counts["registered"] = len(registered)
    if {r["channel_message_id"] for r in registered} != valid:
        violations.append(f"registered {len(registered)} of {len(valid)} valid submissions")
    appeals |= {r["id"] for r in registered}
    # Every appeal in its end state.
    ended = await rows("deadline-tracker", "SELECT appeal_id::text AS id, status FROM deadlines "
                                           "WHERE appeal_id::text = ANY($1::text[])", sorted(appeals))
    states = Counter(r["status"] for r in ended)
    counts.update({f"deadline {k}": v for k, v in states.items()})
    unfinished = len(appeals) - states["closed"] - states["not_routed"]
    if unfinished:
        violations.append(f"{unfinished} appeals neither closed nor not routed (deadline tracker)")
    reviewed = Counter(r["status"] for r in await rows(
        "inspection", "SELECT status FROM appeals WHERE appeal_id::text = ANY($1::text[])", sorted(appeals)))
    if reviewed["closed"] + reviewed["not_routed"] != len(appeals):
        violations.append(f"{len(appeals) - reviewed['closed'] - reviewed['not_routed']} appeals neither closed "
                          "nor not routed (inspection)")
    # Every event on a consumed topic applied by every consuming service; per appeal and topic,
    # in the order its producer wrote them.
    producers = {t: s.name for s in SERVICES for t in _topics(s.name)[1]}
    records_by_topic: dict[str, list[tuple[str, str, str]]] = {}
    decisions: dict[tuple[str, str], set[str]] = defaultdict(set)  # (event type, appeal) -> event ids
    for topic in sorted({t for s in SERVICES for t in _topics(s.name)[0]}):
        seen = []
        for record in await read_to_end(info.bootstrap_servers, topic):
            try:
                envelope = Envelope.from_kafka(record.headers, record.value)
            except Exception:  # noqa: BLE001 - not an event (the poison): dead-lettered, not applied
                counts["poison records"] += 1
                continue
            key = (record.key or b"").decode("utf-8", "replace")
            if key in appeals or key.split(":", 1)[-1].startswith(f"demo-{demo.run_id}-"):
                seen.append((key, str(envelope.id), envelope.type))
                decisions[envelope.type, key].add(str(envelope.id))
        records_by_topic[topic] = seen
        counts["records republished"] += len(seen) - len({e for _, e, _ in seen})
    # A decision made twice shows as two events (two ids) where one belongs: applied twice.
    for event_type in ("appeal.registered", "appeal.assigned", "appeal.not_routed", "deadline.scheduled",
                       "deadline.closed", "inspection.answer_accepted"):
        twice = [k for (t, k), ids in decisions.items() if t == event_type and len(ids) > 1]
        if twice:
            violations.append(f"{event_type} applied twice for {len(twice)} appeals")
    for service in SERVICES:
        reads, _ = _topics(service.name)
        inbox = {r["event_id"] for r in await rows(service.name, "SELECT event_id::text FROM inbox")}
        for topic, handled in reads.items():  # the types its inbound table leaves out are not read
            missing = {e for _, e, t in records_by_topic.get(topic, []) if t in handled} - inbox
            if missing:
                violations.append(f"{service.name} never applied {len(missing)} events of {topic}")
        counts["events applied"] += len(inbox)
    for topic, producer in producers.items():
        if topic not in records_by_topic:
            continue
        written = await rows(producer, "SELECT key, event_id::text AS e FROM outbox WHERE topic = $1 ORDER BY id", topic)
        expected: dict[str, list[str]] = defaultdict(list)
        for r in written:
            expected[r["key"]].append(r["e"])
        arrived: dict[str, list[str]] = defaultdict(list)
        for key, event_id, _ in records_by_topic[topic]:
            if event_id not in arrived[key]:
                arrived[key].append(event_id)
        disordered = [k for k, events in arrived.items() if k in expected
                      and [e for e in expected[k] if e in events] != events]
        if disordered:
            violations.append(f"{topic}: {len(disordered)} appeals' events out of their producer's order")
    # Every notice delivered exactly once at the sinks, or failed or in doubt with a reason.
    # An executor's notice in a digest reached the sink as the digest (``sent_as``'s Message-ID).
    ledger = await rows("notification", "SELECT COALESCE(sent_as, notification_id)::text AS id, status, "
                                        "delivery_channel, last_error "
                                        "FROM deliveries WHERE appeal_id::text = ANY($1::text[])", sorted(appeals))
    counts.update(Counter(f"notice {r['status']}" for r in ledger))
    mail = Counter(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Message-ID"].strip("<>")
                   .split("@")[0] for p in platform.mail.directory.glob("*.eml"))
    sms_path = platform.sms.path
    sms = Counter(json.loads(line)["id"] for line in sms_path.read_text("utf-8").splitlines()) \
        if sms_path.exists() else Counter()
    counts["sms duplicates refused by the gateway"] = platform.sms.duplicates
    for row in ledger:
        sent = {"email": mail, "sms": sms}.get(row["delivery_channel"])
        if row["status"] in ("pending", "sending", "waiting"):
            violations.append(f"a notice left {row['status']}")
        elif row["status"] in ("failed", "in_doubt") and not row["last_error"]:
            violations.append(f"a notice {row['status']} without a reason")
        elif row["status"] == "delivered" and sent is not None and sent[row["id"]] != 1:
            violations.append(f"a delivered {row['delivery_channel']} notice reached its sink {sent[row['id']]} times")
    twice = [i for i, n in (mail + sms).items() if n > 1]
    if twice:
        violations.append(f"{len(twice)} messages reached a sink twice")
    return dict(counts), violations


async def _load(platform: Platform, faults: list[Fault], seed: int, *, load_s: float, rate: float,
                drain_s: float) -> tuple[Demo, bool, list[str]]:
    assert platform.info is not None
    inspection = platform.processes["inspection"][0]
    demo = Demo(platform.info, inspection.base_url, rate=rate, seed=seed)
    injector = Injector(platform, seed)
    converged = await demo.run(load_s, drain_timeout_s=drain_s,  # faults end within the load + 8 s
                               on_load=lambda: injector.schedule(faults, time.monotonic()))
    await asyncio.to_thread(injector.join)
    return demo, converged, injector.log


async def settled_check(platform: Platform, demo: Demo, timeout_s: float = 120.0) -> tuple[dict[str, int], list[str]]:
    """:func:`check` again until it passes or ``timeout_s`` is over: after the last fault the
    platform catches up (consumers apply their lag, notices go out); what is still wrong then is
    a violation."""
    deadline = time.monotonic() + timeout_s
    while True:
        counts, violations = await check(platform, demo)
        if not violations or time.monotonic() > deadline:
            return counts, violations
        await asyncio.sleep(2.0)


def replicas_of(scenario: str) -> int:
    return 2 if scenario == "replicas" else 1


def run_one(scenario: str, seed: int, state_dir: Path, *, load_s: float = 30.0, rate: float = 4.0,
            drain_s: float = 120.0, platform: Platform | None = None, kafka: str = "embedded") -> Report:
    """One run on ``platform`` (running, with the scenario's replicas), or on a platform of its
    own (on ``kafka``) started and stopped around it. A run's checks look at its own appeals
    only, so runs can share a platform."""
    if platform is None:
        own = Platform(state_dir, replicas=replicas_of(scenario), env=SERVICE_ENV, kafka=kafka)
        with running(own):
            return run_one(scenario, seed, state_dir, load_s=load_s, rate=rate, drain_s=drain_s, platform=own)
    if scenario in APACHE_ONLY and platform.stack.apache_kafka is None:
        raise ValueError(f"the {scenario} scenario needs Apache Kafka (--kafka apache)")
    faults = plan(scenario, seed, load_s)
    report = Report(scenario, seed, faults)
    started = time.monotonic()
    dropped_before = platform.sms.duplicates
    demo, report.converged, log = asyncio.run(_load(platform, faults, seed, load_s=load_s, rate=rate,
                                                    drain_s=drain_s))
    counts, report.violations = asyncio.run(settled_check(platform, demo))
    report.counts = {**demo.progress.counts(), **counts,
                     "sms duplicates refused by the gateway": platform.sms.duplicates - dropped_before}
    report.checks = {"faults injected": sum("done" in line for line in log)}
    report.violations += [f"fault not injected: {line}" for line in log if "failed" in line]
    if not report.converged:
        report.violations.append(f"did not converge: {demo.progress.counts()}")
    report.wall_s = round(time.monotonic() - started, 1)
    return report


def save(report: Report, directory: Path = RESULTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{time.strftime('%Y%m%dT%H%M%S')}-{report.scenario}-{report.seed}.json"
    path.write_text(json.dumps({**asdict(report), "ok": report.ok}, indent=2, ensure_ascii=False), "utf-8")
    return path


def table(reports: list[Report]) -> str:
    lines = ["| scenario | runs | faults | appeals | lost | applied twice | sent twice | out of order | "
             "not converged | SMS copies the gateway dropped | wall s |", "|" + "---|" * 11]
    by: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        by[r.scenario].append(r)
    for scenario, rs in by.items():
        def count(word: str) -> int:
            return sum(1 for r in rs for v in r.violations if word in v)
        lines.append(f"| {scenario} | {len(rs)} | {sum(len(r.faults) for r in rs)} | "
                     f"{sum(r.counts.get('registered', 0) for r in rs)} | "
                     f"{count('never applied') + count('registered ') + count('neither closed')} | "
                     f"{count('applied twice')} | {count('reached a sink')} | "
                     f"{count('out of')} | {sum(1 for r in rs if not r.converged)} | "
                     f"{sum(r.counts.get('sms duplicates refused by the gateway', 0) for r in rs)} | "
                     f"{sum(r.wall_s for r in rs):.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="appeals-chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs, cycling through the scenarios")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), action="append",
                        help="only these scenarios (repeatable)")
    parser.add_argument("--seed", type=int, default=1, help="the first run's seed; run n uses seed + n")
    parser.add_argument("--load-s", type=float, default=30.0, help="seconds of submissions per run")
    parser.add_argument("--rate", type=float, default=4.0, help="appeals per second")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".state" / "chaos")
    parser.add_argument("--kafka", choices=("embedded", "apache"), default="embedded",
                        help="the broker: the embedded one, or a three-node Apache Kafka (adds the broker scenario)")
    args = parser.parse_args(argv)
    # The load's own clients see each broker fault too ("Unable connect to node ..."): expected
    # here, and the report says what matters.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    scenarios = args.scenario or [s for s in SCENARIOS if args.kafka == "apache" or s not in APACHE_ONLY]
    if args.kafka != "apache" and set(scenarios) & APACHE_ONLY:
        parser.error(f"{', '.join(sorted(set(scenarios) & APACHE_ONLY))} needs --kafka apache")
    runs = [(scenarios[n % len(scenarios)], args.seed + n) for n in range(args.runs)]
    reports = []
    started = time.monotonic()
    # Runs share a platform per topology (one or two replicas a service): one start, many runs.
    for replicas in sorted({replicas_of(s) for s, _ in runs}):
        with running(Platform(args.state_dir, replicas=replicas, env=SERVICE_ENV, kafka=args.kafka)) as platform:
            for scenario, seed in [(s, seed) for s, seed in runs if replicas_of(s) == replicas]:
                report = run_one(scenario, seed, args.state_dir, load_s=args.load_s, rate=args.rate,
                                 platform=platform)
                path = save(report)
                reports.append(report)
                print(f"run {len(reports)}/{args.runs} {scenario} on {args.kafka} seed {seed}: "
                      f"{'ok' if report.ok else 'VIOLATIONS'} ({report.counts.get('registered', 0)} appeals, "
                      f"{len(report.faults)} faults, {report.wall_s:.0f} s) {path.relative_to(ROOT)}", flush=True)
                for violation in report.violations:
                    print(f"    {violation}", flush=True)
    print(table(reports))
    print(f"{len(reports)} runs in {time.monotonic() - started:.0f} s")
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
