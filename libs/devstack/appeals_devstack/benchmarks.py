"""What the platform benchmarks share (``bench/``): the raw Kafka baseline of the same run, a
surge of valid submissions with a channel mix, an observer that follows every appeal through
the stages from the events themselves, and the services' CPU and memory.

Benchmarks report ratios against the baseline measured in the same run (the machine is shared
and noisy) and check exact counts every run: a faster platform that loses or repeats anything
is not faster.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from appeals_devstack.platform import Platform
from appeals_devstack.services import SERVICES
from appeals_runtime.dead_letters import reader
from appeals_devstack.testing import produce, submission, submission_record
from appeals_contracts.events import CitizenContact
from appeals_runtime.clock import Clock

#: Categories every executor set routes (none ends "not routed").
CATEGORIES = ("social_aid", "city_entry_exit", "education", "benefits", "movement_within_city")
#: The stages an appeal goes through, in order, and what marks each one.
STAGES = ("registered", "assigned", "scheduled", "read_model", "citizen_notice", "executor_notice")
#: Event type (``ce_type``) → stage; delivered notices are told apart by template.
_STAGE_OF_TYPE = {"appeal.registered": "registered", "appeal.assigned": "assigned", "deadline.scheduled": "scheduled"}
_STAGE_OF_TEMPLATE = {"citizen.registered": "citizen_notice", "executor.assigned": "executor_notice"}
OBSERVED_TOPICS = ("appeals.registered.v1", "appeals.assigned.v1", "appeals.deadlines.v1", "notifications.delivery.v1")
#: Settings for a platform under a surge: SMS quiet hours off (a surge at night would be held
#: until morning, which is right for citizens and useless for a measurement), no trace export.
BENCH_ENV = {"SMS_QUIET_HOURS": "", "OTEL_TRACES_EXPORTER": "none", "LOG_LEVEL": "WARNING"}


def surge_records(run: str, n: int, *, submitted_at: datetime | None = None) -> list[tuple[bytes, bytes, list]]:
    """``n`` valid submissions as a channel adapter publishes them. The mix: two in five reach
    the citizen by e-mail, two by SMS, one by a reply in the channel (the mobile app)."""
    return [submission_record(surge_submission(run, i, submitted_at=submitted_at)) for i in range(n)]


def surge_submission(run: str, i: int, *, submitted_at: datetime | None = None):
    kind = i % 5
    # Every citizen their own phone, as in a real surge: one phone for all would queue every SMS
    # behind the one before (a recipient's messages keep their order), one per round.
    contact = CitizenContact(name="Bench Citizen", phone=None if kind < 2 else f"+7701{i % 10_000_000:07d}",
                             email=f"c{i}@example.kz" if kind < 2 else None, preferred_language="ru")
    return submission(f"{run}-{i}", category=CATEGORIES[i % len(CATEGORIES)],
                      channel="mobile_app" if kind == 4 else "contact_centre", citizen=contact,
                      submitted_at=submitted_at or Clock().now())


async def produce_all(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes, list]]) -> None:
    """Publish ``records`` as fast as the broker takes them (acks from all replicas)."""
    await produce(bootstrap, topic, records, max_batch_size=1 << 20)


async def baseline(bootstrap: str, records: list[tuple[bytes, bytes, list]]) -> dict[str, float]:
    """Raw aiokafka: produce ``records`` to a fresh topic and read them back; records/s."""
    topic = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    start = time.monotonic()
    reader = asyncio.create_task(_count_records(bootstrap, topic, len(records)))
    await produce_all(bootstrap, topic, records)
    await reader
    seconds = time.monotonic() - start
    return {"records": len(records), "seconds": round(seconds, 3), "rate": round(len(records) / seconds, 1)}


async def _count_records(bootstrap: str, topic: str, n: int, timeout_s: float = 600) -> None:
    consumer, _ = await reader(bootstrap, topic, wait_s=60)
    seen, deadline = 0, time.monotonic() + timeout_s
    try:
        while seen < n and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200, max_records=10_000)).values():
                seen += len(records)
    finally:
        await consumer.stop()


def _header(headers, name: str) -> str | None:
    for key, value in headers or ():
        if key == name:
            return value.decode()
    return None


@dataclass
class Stage:
    """When each appeal reached a stage, and how often it was seen there."""

    first: dict[str, float] = field(default_factory=dict)  # appeal id → monotonic time first seen
    latency_s: dict[str, float] = field(default_factory=dict)  # appeal id → event time − submitted
    seen: int = 0

    @property
    def repeated(self) -> int:
        return self.seen - len(self.first)


class Observer:
    """Follows the appeals through the stages from the events on the topics (and, for the
    inspection read model, from inspection's table), keeping a timeline of counts."""

    def __init__(self, platform: Platform, *, interval_s: float = 0.5) -> None:
        assert platform.info is not None
        self.platform, self.info, self.interval_s = platform, platform.info, interval_s
        self.stages = {name: Stage() for name in STAGES}
        self.submitted_at: dict[str, datetime] = {}  # appeal id → submitted_at (from its registration)
        self.timeline: list[tuple[float, dict[str, int]]] = []
        self.started = time.monotonic()
        self._tasks: list[asyncio.Task] = []
        self._ready = asyncio.Event()

    def counts(self) -> dict[str, int]:
        return {name: len(stage.first) for name, stage in self.stages.items()}

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._follow_topics()), asyncio.create_task(self._follow_read_model())]
        await self._ready.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def reached(self, stage: str, appeal_id: str, event_time: datetime | None) -> None:
        record = self.stages[stage]
        record.seen += 1
        if appeal_id in record.first:
            return
        record.first[appeal_id] = time.monotonic()
        submitted = self.submitted_at.get(appeal_id)
        if event_time is not None and submitted is not None:
            record.latency_s[appeal_id] = (event_time - submitted).total_seconds()

    async def _follow_topics(self) -> None:
        consumer, _ = await reader(self.info.bootstrap_servers, OBSERVED_TOPICS, wait_s=60)
        self._ready.set()
        pending: list[tuple[str, dict[str, Any], datetime]] = []  # seen before their registration
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=20_000)
                for records in batches.values():
                    for r in records:
                        kind = _header(r.headers, "ce_type")
                        if kind not in _STAGE_OF_TYPE and kind != "notification.delivered":
                            continue
                        data = json.loads(r.value)
                        when = datetime.fromisoformat(_header(r.headers, "ce_time") or "")
                        if kind == "appeal.registered":
                            self.submitted_at[data["appeal_id"]] = datetime.fromisoformat(data["submitted_at"])
                            when = datetime.fromisoformat(data["registered_at"])
                        elif kind == "notification.delivered":
                            when = datetime.fromisoformat(data["delivered_at"])
                        pending.append((kind, data, when))
                still = []
                for kind, data, when in pending:
                    appeal_id = data["appeal_id"]
                    if appeal_id not in self.submitted_at:
                        still.append((kind, data, when))
                        continue
                    if kind == "notification.delivered":
                        stage = _STAGE_OF_TEMPLATE.get(data["template"])
                        if stage:
                            self.reached(stage, appeal_id, when)
                    else:
                        self.reached(_STAGE_OF_TYPE[kind], appeal_id, when)
                pending = still
        finally:
            await consumer.stop()

    async def _follow_read_model(self) -> None:
        """Counts inspection's complete rows: reading every id at each poll made the bench's
        own work grow with the square of N (a core's share of the 100,000-appeal run). A
        row is never removed and the platform is fresh, so the k-th row is "there" from the
        poll whose count first reached k; the stage keeps one entry per row under its rank.

        The count still reads the whole table, so the polls space out as the run goes on
        (``interval_s`` at first, at most 1/200 of the time so far, up to 5 s): at 0.5 s
        throughout, the article's 395,000-appeal surge had PostgreSQL read about a billion rows
        for the bench alone. The stage's time is then known within half a per cent of the run."""
        stage = self.stages["read_model"]
        conn = await asyncpg.connect(self.info.database_url("inspection"))
        try:
            while True:
                count = await conn.fetchval("SELECT count(*) FROM appeals WHERE registration_number IS NOT NULL "
                                            "AND executor_code IS NOT NULL AND due_at IS NOT NULL")
                now = time.monotonic()
                for rank in range(len(stage.first), count):
                    stage.first[f"#{rank}"] = now
                stage.seen = len(stage.first)
                self.timeline.append((now - self.started, self.counts()))
                await asyncio.sleep(min(5.0, max(self.interval_s, (now - self.started) / 200)))
        finally:
            await conn.close()

    async def wait_all(self, n: int, *, timeout_s: float, progress: bool = True,
                       stages: tuple[str, ...] = STAGES) -> bool:
        """Until every stage of ``stages`` has ``n`` appeals (True), or ``timeout_s`` passed."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            counts = self.counts()
            if progress:
                line = "  ".join(f"{name} {counts[name]:>7}" for name in stages)
                print(f"\r{time.monotonic() - self.started:7.1f} s  {line}", end="", flush=True)
            if all(counts[name] >= n for name in stages):
                if progress:
                    print()
                return True
            await asyncio.sleep(1.0)
        if progress:
            print()
        return False


async def notification_settled(platform: Platform, *, timeout_s: float) -> bool:
    """Until notification has no message waiting, pending or being sent (True), or the time-out."""
    assert platform.info is not None
    conn = await asyncpg.connect(platform.info.database_url("notification"))
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if not await conn.fetchval("SELECT count(*) FROM deliveries WHERE status IN ('waiting', 'pending', 'sending')"):
                return True
            await asyncio.sleep(0.5)
        return False
    finally:
        await conn.close()


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max in milliseconds."""
    if not values:
        return {}
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
    return {"p50_ms": round(cuts[49] * 1000, 1), "p95_ms": round(cuts[94] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1), "max_ms": round(max(values) * 1000, 1), "count": len(values)}


class Resources:
    """CPU seconds and peak resident memory of each service process (replicas summed for CPU,
    the largest for memory), sampled while the benchmark runs."""

    def __init__(self, platform: Platform, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.processes = {name: [psutil.Process(p.pid) for p in group if p.pid is not None]
                          for name, group in platform.processes.items()}
        # What shares the cores with the services: the database server, the broker, and this
        # process (the load, the observer and the mail and SMS sinks).
        self.processes["postgresql"] = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]
        self.processes["broker"] = [psutil.Process(pid) for pid in platform.stack.broker_pids]
        self.processes["bench and sinks"] = [psutil.Process()]
        self.cpu_start = {name: self._cpu(name) for name in self.processes}
        self.peak_rss = {name: 0 for name in self.processes}
        self._task: asyncio.Task | None = None

    def _cpu(self, name: str) -> float:
        total = 0.0
        for process in self.processes[name]:
            try:
                total += cpu_seconds(process)
            except psutil.Error:
                pass
        return total

    def sample(self) -> None:
        for name, group in self.processes.items():
            sizes = []
            for process in group:
                try:
                    sizes.append(process.memory_info().rss)
                except psutil.Error:
                    pass
            # A service's replicas: the largest one's; the broker: all its nodes together.
            now = sum(sizes) if name == "broker" else max(sizes, default=0)
            self.peak_rss[name] = max(self.peak_rss[name], now)

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval_s)

    def start(self) -> Resources:
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> dict[str, dict[str, float]]:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.sample()
        return {name: {"cpu_s": round(self._cpu(name) - self.cpu_start[name], 2),
                       "peak_rss_mb": round(self.peak_rss[name] / 2 ** 20, 1)} for name in self.processes}


def sink_counts(platform: Platform, bootstrap_outbound: list[Any]) -> dict[str, Any]:
    """What reached the sinks: messages per channel and copies of one message (duplicates)."""
    sms_ids = Counter(json.loads(line)["id"] for line in platform.sms.path.read_text("utf-8").splitlines()
                      if line.strip()) if platform.sms.path.exists() else Counter()
    mail_ids: Counter[str] = Counter()
    executor_mails = 0
    for path in platform.mail.directory.glob("*.eml"):
        with path.open("rb") as message:
            for line in message:
                if line.lower().startswith(b"message-id:"):
                    mail_ids[line.split(b":", 1)[1].strip().decode()] += 1
                elif line.lower().startswith(b"to:") and b".almaty.example" in line:
                    executor_mails += 1  # the executors' addresses of the bundled recipients file
                if not line.strip():
                    break
    outbound_ids = Counter(json.loads(r.value)["notification_id"] for r in bootstrap_outbound)
    return {
        "sms": len(sms_ids), "email": len(mail_ids), "executor_emails": executor_mails, "outbound": len(outbound_ids),
        # Repeats of an id the gateway already had are dropped by it, as a real gateway does (the
        # sender repeats a message whose answer it did not get): counted, but no citizen's duplicate.
        "sms_repeats_dropped_by_gateway": platform.sms.duplicates,
        "duplicates": {"sms": sum(c - 1 for c in sms_ids.values()),
                       "email": sum(c - 1 for c in mail_ids.values()),
                       "outbound": sum(c - 1 for c in outbound_ids.values())},
    }


def save_json(result: dict[str, Any], directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{Clock().now():%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path


def add_scale_argument(parser: argparse.ArgumentParser) -> None:
    """``--scale SERVICE=N`` (repeatable): N processes of SERVICE, as a deployment would run replicas."""
    parser.add_argument("--scale", action="append", default=[], metavar="SERVICE=N", type=_scale_item,
                        help="run N processes of SERVICE, e.g. notification=2")


def _scale_item(text: str) -> tuple[str, int]:
    name, _, n = text.partition("=")
    if name not in {s.name for s in SERVICES} or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected SERVICE=N with one of "
                                         f"{', '.join(s.name for s in SERVICES)} and N ≥ 1")
    return name, int(n)


def cpu_seconds(process: psutil.Process) -> float:
    """User and system CPU seconds the process has used."""
    times = process.cpu_times()
    return times.user + times.system


async def fetch_pages(base: str, paths: list[str], concurrency: int, headers: dict[str, str] | None = None) -> float:
    """GET every path with ``concurrency`` clients sharing one connection pool (the first once
    before, to warm); seconds taken. A page that is not 200 stops the run."""
    import httpx

    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)

    async def worker(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            reply = await http.get(queue.get_nowait())
            if reply.status_code != 200:
                raise RuntimeError(f"{reply.request.url.path}: HTTP {reply.status_code}")

    async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers or {}) as http:
        await http.get(paths[0])
        start = time.monotonic()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        return time.monotonic() - start
