"""Demo traffic for a running platform: a scaled surge with the article's mix, and the
executors and inspectors played, with a live count of every stage.

Citizens (as channel adapters) submit on ``appeals.intake.v1``: the article's top-5
categories in its proportions (social aid 81.6 k, entering/leaving Almaty 36.8 k, education
31.7 k, benefits 24.3 k, moving around the city 23 k of 395 k), the other categories sharing
the rest, every channel, some consultations and anonymous appeals (not routed), some
duplicates (the same message sent again) and some invalid submissions (refused by intake).
Executors (as a portal) answer every assignment after a short while, some after the due
time; inspectors return some first answers and accept the rest; a returned answer is
answered again. A watcher counts every stage from the topics, so the run converges when no
appeal is left between stages.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealSubmitted, CitizenContact, ExecutorAnswerSubmitted
from appeals_contracts.reference import load_reference
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import VALID_IIN
from appeals_runtime.clock import Clock

ARTICLE_TOP5 = {"social_aid": 81.6, "city_entry_exit": 36.8, "education": 31.7, "benefits": 24.3,
                "movement_within_city": 23.0}
ARTICLE_TOTAL = 395.0
WATCHED = ("appeals.registered.v1", "appeals.intake-rejected.v1", "appeals.assigned.v1", "appeals.deadlines.v1",
           "appeals.answered.v1", "appeals.inspections.v1", "notifications.delivery.v1")
STAGES = ("submitted", "rejected", "registered", "not_routed", "assigned", "scheduled", "answered", "returned",
          "accepted", "closed", "late", "notified")


@dataclass
class Mix:
    """Shares of the special cases among submissions."""

    duplicate: float = 0.05
    invalid: float = 0.03
    consultation: float = 0.04
    anonymous: float = 0.03
    returned: float = 0.2


@dataclass
class Progress:
    """What the watcher has seen of this run's appeals, stage by stage."""

    sent_ids: set[str] = field(default_factory=set)    # distinct message ids sent
    invalid_ids: set[str] = field(default_factory=set)
    submitted: int = 0                                  # records sent, duplicates included
    rejected: set[str] = field(default_factory=set)
    registered: dict[str, str] = field(default_factory=dict)  # appeal id -> message id
    stages: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in STAGES[3:]})
    executor_of: dict[str, str] = field(default_factory=dict)
    due_of: dict[str, datetime] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {"submitted": self.submitted, "rejected": len(self.rejected), "registered": len(self.registered),
                **{k: len(v) for k, v in self.stages.items()}}

    def converged(self) -> bool:
        """Every distinct valid submission registered, every invalid one refused, every
        registered appeal either not routed or closed."""
        valid = self.sent_ids - self.invalid_ids
        done = self.stages["not_routed"] | self.stages["closed"]
        return (len(self.registered) == len(valid) and self.rejected == self.invalid_ids
                and set(self.registered) <= done)


class Demo:
    def __init__(self, stack: StackInfo, inspection_url: str, *, rate: float = 5.0, seed: int | None = None,
                 mix: Mix | None = None) -> None:
        self.stack = stack
        self.bootstrap = stack.bootstrap_servers
        self.inspection_url = inspection_url
        self._inspector = {"Authorization": f"Bearer {stack.token('demo-inspector', 'inspector', ttl_s=24 * 3600)}"}
        self.rate = rate
        self.mix = mix or Mix()
        self.random = random.Random(seed)
        self.run_id = uuid.uuid4().hex[:8]
        self.progress = Progress()
        ref = load_reference()
        others = sorted(ref.categories.codes - set(ARTICLE_TOP5))
        rest = (ARTICLE_TOTAL - sum(ARTICLE_TOP5.values())) / len(others)
        self.categories = list(ARTICLE_TOP5) + others
        self.weights = list(ARTICLE_TOP5.values()) + [rest] * len(others)
        self.channels = sorted(ref.channels.codes)
        self.districts = sorted(ref.districts.codes)
        self.networks = sorted(ref.social_networks) or ["telegram"]
        self._producer: AIOKafkaProducer | None = None
        self._answered_twice: set[str] = set()
        self._returned_once: set[str] = set()
        self._pending: dict[str, list[tuple[str, Any]]] = {}

    # -- citizens -------------------------------------------------------------------------
    def _submission(self, n: int) -> AppealSubmitted:
        r = self.random
        channel = r.choice(self.channels)
        kind = "consultation" if r.random() < self.mix.consultation else r.choice(
            ["complaint", "statement", "request", "proposal"])
        anonymous = r.random() < self.mix.anonymous
        language = r.choice(["kk", "ru", "ru", "en"])
        contact = None if anonymous else CitizenContact(
            name=f"Demo Citizen {n}", iin=VALID_IIN, preferred_language=language,
            email=f"demo{n}@example.org" if n % 3 else None, phone=f"+7701{n % 10**7:07d}")
        return AppealSubmitted(
            channel=channel, social_network=r.choice(self.networks) if channel == "social_network" else None,
            channel_message_id=f"demo-{self.run_id}-{n}", kind=kind,
            category=r.choices(self.categories, self.weights)[0], district=r.choice(self.districts),
            text="Demo appeal", language=language, anonymous=anonymous, citizen=contact,
            submitted_at=Clock().now())

    async def _send(self, topic: str, key: str, envelope: Envelope) -> None:
        assert self._producer is not None
        await self._producer.send_and_wait(topic, envelope.kafka_value(), key=key.encode(),
                                           headers=envelope.kafka_headers())

    async def _submit(self, n: int, sent: list[AppealSubmitted]) -> None:
        if sent and self.random.random() < self.mix.duplicate:
            event = self.random.choice(sent)  # the same message again: intake must not register it twice
        else:
            event = self._submission(n)
            if self.random.random() < self.mix.invalid:
                event = event.model_copy(update={"category": "weather_complaints"})
                self.progress.invalid_ids.add(event.channel_message_id)
            sent.append(event)
            self.progress.sent_ids.add(event.channel_message_id)
        key = f"{event.channel}:{event.channel_message_id}"
        await self._send("appeals.intake.v1", key, Envelope.wrap(event, source="/adapters/demo", subject=key,
                                                                 time=Clock().now()))
        self.progress.submitted += 1

    async def citizens(self, duration_s: float) -> None:
        """Submissions on their schedule, as citizens send them: a submission the broker has not
        acknowledged yet (a leader failing over) does not hold back the next one."""
        sent: list[AppealSubmitted] = []
        pending: list[asyncio.Task] = []
        start, n = time.monotonic(), 0
        while time.monotonic() - start < duration_s:
            pending.append(asyncio.ensure_future(self._submit(n, sent)))
            n += 1
            await asyncio.sleep(max(0.0, start + n / self.rate - time.monotonic()))
        await asyncio.gather(*pending)

    # -- executors ------------------------------------------------------------------------
    async def _answer(self, appeal_id: str, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        executor = self.progress.executor_of[appeal_id]
        # The platform judges timeliness by its own clock when routing receives the answer: a
        # portal cannot report an answer as given late (or early), so the demo's answers are
        # late only when they really come after the due time.
        submitted = Clock().now()
        action = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.UUID(appeal_id),
                                         executor_code=executor, employee_id=f"{executor}-{self.random.randint(1, 9)}",
                                         text="The issue was resolved.", language="ru", submitted_at=submitted)
        assert self._producer is not None
        key, value, headers = self.stack.signed_action(
            executor, Envelope.wrap(action, source=f"/portals/{executor}", subject=appeal_id, time=Clock().now()))
        await self._producer.send_and_wait("appeals.executor-actions.v1", value, key=key, headers=headers)

    # -- inspectors -----------------------------------------------------------------------
    async def inspectors(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self.inspection_url, timeout=10, headers=self._inspector) as client:
            while not stop.is_set():
                try:
                    queue = (await client.get("/v1/queue", params={"limit": 200})).json()
                except (httpx.HTTPError, ValueError):
                    queue = []
                for row in queue if isinstance(queue, list) else []:
                    appeal = row["appeal_id"]
                    if appeal not in self.progress.registered:
                        continue
                    try:  # inspection may be restarting (fault tests): the answer stays queued
                        if appeal not in self._returned_once and self.random.random() < self.mix.returned:
                            reply = await client.post(f"/v1/answers/{row['answer_id']}/return", json={
                                "reason_code": "formal_reply", "comment": "Say what was done and when"})
                            if reply.status_code == 200:
                                self._returned_once.add(appeal)
                        else:
                            await client.post(f"/v1/answers/{row['answer_id']}/accept")
                    except httpx.HTTPError:
                        break
                await asyncio.sleep(0.5)

    # -- the watcher ----------------------------------------------------------------------
    def _apply(self, event_type: str, data: dict[str, Any], tasks: set[asyncio.Task]) -> None:
        p, s = self.progress, self.progress.stages
        if event_type == "appeal.intake_rejected":
            if data["channel_message_id"] in p.sent_ids:
                p.rejected.add(data["channel_message_id"])
            return
        if event_type == "appeal.registered":
            if data["channel_message_id"] in p.sent_ids:
                p.registered[data["appeal_id"]] = data["channel_message_id"]
                for later in self._pending.pop(data["appeal_id"], []):
                    self._apply(*later, tasks)
            return
        appeal = data.get("appeal_id")
        if appeal not in p.registered:
            if appeal is not None and not event_type.startswith("notification."):
                self._pending.setdefault(appeal, []).append((event_type, data))
            return
        if event_type == "appeal.not_routed":
            s["not_routed"].add(appeal)
        elif event_type == "appeal.assigned":
            s["assigned"].add(appeal)
            p.executor_of[appeal] = data["executor_code"]
            tasks.add(asyncio.ensure_future(self._answer(appeal, self.random.uniform(0.5, 3.0))))
        elif event_type == "deadline.scheduled":
            s["scheduled"].add(appeal)
            p.due_of[appeal] = datetime.fromisoformat(data["due_at"])
        elif event_type == "appeal.answered":
            s["answered"].add(appeal)
        elif event_type == "inspection.answer_returned":
            s["returned"].add(appeal)
            if appeal not in self._answered_twice:
                self._answered_twice.add(appeal)
                tasks.add(asyncio.ensure_future(self._answer(appeal, self.random.uniform(0.5, 2.0))))
        elif event_type == "inspection.answer_accepted":
            s["accepted"].add(appeal)
        elif event_type == "deadline.closed":
            s["closed"].add(appeal)
            if not data["on_time"]:
                s["late"].add(appeal)
        elif event_type == "notification.delivered":
            s["notified"].add(appeal)

    async def watch(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        tasks: set[asyncio.Task] = set()
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=2000)
            for records in batch.values():
                for record in records:
                    event_type = dict(record.headers or ()).get("ce_type", b"").decode()
                    try:
                        data = Envelope.from_kafka(record.headers, record.value).data
                    except Exception:  # noqa: BLE001 - not an event: nothing to count
                        continue
                    self._apply(event_type, data, tasks)
            tasks = {t for t in tasks if not t.done()}
        for task in tasks:
            task.cancel()

    # -- the run --------------------------------------------------------------------------
    async def run(self, duration_s: float, *, drain_timeout_s: float = 120.0,
                  view: Callable[[float, dict[str, int]], None] | None = None,
                  on_load: Callable[[], None] | None = None) -> bool:
        """Submit for ``duration_s``, then wait (at most ``drain_timeout_s``) until every
        appeal is through; True when the run converged. ``on_load`` is called as the first
        submission goes out (after the watcher has joined)."""
        # No commits: the watcher starts at the end anyway, and aiokafka's last autocommit at stop
        # retried for good when a broker fault had left the group without a coordinator (make
        # chaos KAFKA=apache hung there).
        consumer = AIOKafkaConsumer(*WATCHED, bootstrap_servers=self.bootstrap, group_id=f"demo-{self.run_id}",
                                    auto_offset_reset="latest", enable_auto_commit=False)
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5)
        await consumer.start()
        await self._producer.start()
        stop = asyncio.Event()
        workers: list[asyncio.Future] = []
        try:
            while not consumer.assignment():  # joined: nothing this run causes is missed
                await consumer.getmany(timeout_ms=200)
            for tp in consumer.assignment():
                await consumer.seek_to_end(tp)
            workers += [asyncio.ensure_future(self.watch(consumer, stop)),
                        asyncio.ensure_future(self.inspectors(stop))]
            start = time.monotonic()
            if on_load is not None:
                on_load()
            citizens = asyncio.ensure_future(self.citizens(duration_s))
            deadline = start + duration_s + drain_timeout_s
            while time.monotonic() < deadline:
                await asyncio.sleep(1.0)
                if view is not None:
                    view(time.monotonic() - start, self.progress.counts())
                if citizens.done() and self.progress.converged():
                    break
            await citizens
            return self.progress.converged()
        finally:
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
            for client in (self._producer, consumer):  # a client that cannot say goodbye is left behind
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(client.stop(), timeout=30)


def line_view(every_s: float = 1.0) -> Callable[[float, dict[str, int]], None]:
    """Prints the stage counts, one line per ``every_s`` seconds."""
    last = [-every_s]

    def show(elapsed: float, counts: dict[str, int]) -> None:
        if elapsed - last[0] >= every_s:
            last[0] = elapsed
            print(f"[demo {elapsed:5.0f}s] " + "  ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
    return show
