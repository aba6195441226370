"""The outbox relay on real PostgreSQL and the real broker: per-appeal order when a publish
fails mid-batch, rows that commit late, and one active relay."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import asyncpg
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import DeadlineApproaching
from appeals_devstack.testing import eventually, header, read_topic
from appeals_runtime.migrations import migrate, runtime_migrations
from appeals_runtime.outbox import OutboxMessage, enqueue
from appeals_runtime.publisher import KafkaPublisher, Record
from appeals_runtime.relay import OutboxRelay
from appeals_runtime.settings import ServiceSettings
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration


class FailingOnce:
    """The real publisher, except that the records ``fail`` names fail once."""

    def __init__(self, real: KafkaPublisher, fail: set[str]) -> None:
        self.real, self.fail = real, set(fail)
        self.sent: list[str] = []

    async def send_all(self, records: Sequence[Record]) -> list[BaseException | None]:
        results: list[BaseException | None] = [None] * len(records)
        passing = []
        for i, r in enumerate(records):
            event_id = dict(r.headers)["ce_id"].decode()
            if event_id in self.fail:
                self.fail.discard(event_id)
                results[i] = ConnectionError("broker went away")
            else:
                passing.append((i, r))
                self.sent.append(event_id)
        for (i, _), error in zip(passing, await self.real.send_all([r for _, r in passing]), strict=True):
            results[i] = error
        return results


def _event(appeal: uuid.UUID, n: int, topic: str) -> OutboxMessage:
    from datetime import UTC, datetime, timedelta

    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    envelope = Envelope.wrap(DeadlineApproaching(appeal_id=appeal, due_at=at, remind_at=at),
                             source="/test", subject=str(appeal), time=Clock().now())
    return OutboxMessage(envelope, key=str(appeal), topic=topic, extra_headers={"x-seq": str(n)})


@pytest.fixture
async def pool(scratch_database):
    pool = await asyncpg.create_pool(scratch_database, min_size=2, max_size=6)
    async with pool.acquire() as conn:
        await migrate(conn, runtime_migrations())
    yield pool
    await pool.close()


@pytest.fixture
async def publisher(stack):
    publisher = KafkaPublisher(ServiceSettings(kafka_bootstrap_servers=stack.bootstrap_servers,
                                               kafka_enable_idempotence=False, service_name="relay-test"))
    await publisher.start()
    yield publisher
    await publisher.stop()


def _sequence_per_key(records) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for r in records:
        seen.setdefault(r.key.decode(), []).append(int(header(r, "x-seq")))
    return seen


async def test_order_per_appeal_holds_when_a_publish_fails_mid_batch(pool, publisher, stack):
    topic = f"relay-order-{uuid.uuid4().hex[:8]}"
    appeals = [uuid.uuid4() for _ in range(3)]
    messages = [_event(appeals[n % 3], n, topic) for n in range(30)]  # ten events per appeal, interleaved
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, messages)
    victim = messages[4]  # the second event of appeal 1
    flaky = FailingOnce(publisher, {str(victim.envelope.id)})
    relay = OutboxRelay(pool, flaky, batch_size=100)

    published, blocked = await relay.publish_round()
    assert blocked and published == 30 - 9  # appeal 1 stops at its failed record: 1 of 10 got through
    published, blocked = await relay.publish_round()
    assert (published, blocked) == (9, False)

    records = await read_topic(stack.bootstrap_servers, topic, until=lambda rs: len(rs) >= 30)
    per_key = _sequence_per_key(records)
    for appeal in appeals:
        assert per_key[str(appeal)] == sorted(per_key[str(appeal)]), "events of one appeal stay in order"
        assert len(per_key[str(appeal)]) == 10, "nothing lost, nothing published twice"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


class Crash(BaseException):
    """The process dies: nothing after this line of the relay runs."""


class CrashingAfterAcks:
    """The real publisher; after the first acknowledged wave the relay's process 'dies'."""

    def __init__(self, real: KafkaPublisher) -> None:
        self.real, self.crashed = real, False

    async def send_all(self, records: Sequence[Record]) -> list[BaseException | None]:
        results = await self.real.send_all(records)
        if not self.crashed:
            self.crashed = True
            raise Crash  # acknowledged by the broker, not yet marked in the outbox
        return results


async def test_a_relay_killed_between_the_acks_and_the_mark_republishes_in_order(pool, publisher, stack):
    """The records were on the broker when the relay died; the next relay publishes them again
    (the same event ids, which consumers' inboxes absorb), and per appeal the order of first
    arrivals is the order they were written."""
    topic = f"relay-crash-{uuid.uuid4().hex[:8]}"
    appeals = [uuid.uuid4() for _ in range(3)]
    messages = [_event(appeals[n % 3], n, topic) for n in range(12)]
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, messages)
    with pytest.raises(Crash):
        await OutboxRelay(pool, CrashingAfterAcks(publisher), batch_size=100).publish_round()
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 12, "none marked"
    assert await OutboxRelay(pool, publisher, batch_size=100).publish_round() == (12, False)

    records = await read_topic(stack.bootstrap_servers, topic, until=lambda rs: len(rs) >= 15)
    ids = [header(r, "ce_id") for r in records]
    assert set(ids) == {str(m.envelope.id) for m in messages}, "nothing lost"
    first: dict[str, list[int]] = {}
    for r in records:
        if header(r, "ce_id") not in {header(x, "ce_id") for x in records[:records.index(r)]}:
            first.setdefault(r.key.decode(), []).append(int(header(r, "x-seq")))
    assert all(seq == sorted(seq) and len(seq) == 4 for seq in first.values()), "first arrivals in order"


async def test_a_row_that_commits_late_is_still_published(pool, publisher, stack):
    topic = f"relay-late-{uuid.uuid4().hex[:8]}"
    early, late = uuid.uuid4(), uuid.uuid4()
    relay = OutboxRelay(pool, publisher)
    slow = await pool.acquire()
    tx = slow.transaction()
    await tx.start()
    await enqueue(slow, [_event(late, 0, topic)])  # takes the lower id, commits last
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, [_event(early, 1, topic)])
    assert await relay.publish_round() == (1, False)
    await tx.commit()
    await pool.release(slow)
    assert await relay.publish_round() == (1, False)
    records = await read_topic(stack.bootstrap_servers, topic, until=lambda rs: len(rs) >= 2)
    assert sorted(r.key.decode() for r in records) == sorted([str(early), str(late)])


async def test_only_one_relay_publishes_and_the_standby_takes_over(pool, publisher, stack):
    topic = f"relay-leader-{uuid.uuid4().hex[:8]}"
    first, second = OutboxRelay(pool, publisher, poll_interval_s=0.1), OutboxRelay(pool, publisher, poll_interval_s=0.1)
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
    try:
        await eventually(lambda: (first.is_leader and second.standing_by) or (second.is_leader and first.standing_by),
                         interval_s=0.05, what="one leader, one standing by")
        assert first.is_leader != second.is_leader
        leader, standby = (first, second) if first.is_leader else (second, first)
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, [_event(uuid.uuid4(), 0, topic)])
        await eventually(lambda: leader.published_total == 1, interval_s=0.05, what="published")
        leader.stop()
        await eventually(lambda: standby.is_leader, interval_s=0.05, what="take-over")
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, [_event(uuid.uuid4(), 1, topic)])
        await eventually(lambda: standby.published_total == 1, interval_s=0.05, what="published")
    finally:
        first.stop()
        second.stop()
        await asyncio.gather(*tasks)
    records = await read_topic(stack.bootstrap_servers, topic, until=lambda rs: len(rs) >= 2)
    assert len(records) == 2


async def test_trace_context_stored_with_the_row_is_restored_on_publish(pool, publisher, stack):
    from opentelemetry.sdk.trace import TracerProvider

    topic = f"relay-trace-{uuid.uuid4().hex[:8]}"
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("register") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, [_event(uuid.uuid4(), 0, topic)])
    await OutboxRelay(pool, publisher).publish_round()  # no span is current here
    [record] = await read_topic(stack.bootstrap_servers, topic, until=lambda rs: len(rs) >= 1)
    assert header(record, "traceparent").split("-")[1] == trace_id
