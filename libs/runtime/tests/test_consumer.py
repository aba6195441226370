"""The consumer wrapper's guarantees on real PostgreSQL, driven with a stand-in for
FastStream's batch message (the cross-service tests cover it on the real broker)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from functools import partial
from datetime import UTC, datetime

import asyncpg
import pytest
from aiokafka import ConsumerRecord
from aiokafka.errors import CommitFailedError, MessageSizeTooLargeError

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import DeadlineApproaching, DeadlineBreached
from appeals_runtime.consumer import EventConsumer
from appeals_runtime.inbound import Delivery
from appeals_runtime.errors import TransientError
from appeals_runtime.migrations import migrate, runtime_migrations
from appeals_runtime.publisher import Record
from appeals_runtime.settings import ServiceSettings
from appeals_runtime.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

SETTINGS = ServiceSettings(service_name="svc", retry_max_attempts=3, retry_initial_backoff_s=0.01)


class BatchMessage:
    """What FastStream hands the wrapper: the records, ack (commit) and nack (rewind)."""

    def __init__(self, records: Sequence[ConsumerRecord], commit_error: Exception | None = None) -> None:
        self.raw_message = tuple(records)
        self.commit_error = commit_error
        self.acked = self.nacked = False

    async def ack(self) -> None:
        if self.commit_error:
            raise self.commit_error
        self.acked = True

    async def nack(self) -> None:
        self.nacked = True


class CollectingPublisher:
    def __init__(self) -> None:
        self.records: list[Record] = []

    async def send_all(self, records: Sequence[Record]) -> list[BaseException | None]:
        self.records += records
        return [None] * len(records)


def record(offset: int, envelope: Envelope | None = None, value: bytes | None = None) -> ConsumerRecord:
    headers = tuple(envelope.kafka_headers()) if envelope else ()
    return ConsumerRecord(topic="appeals.deadlines.v1", partition=0, offset=offset, timestamp=0, timestamp_type=0,
                          key=b"k", value=value if value is not None else envelope.kafka_value(), checksum=None,
                          serialized_key_size=1, serialized_value_size=1, headers=headers)


WHEN = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def breached(appeal: uuid.UUID | None = None) -> Envelope:
    return Envelope.wrap(DeadlineBreached(appeal_id=appeal or uuid.uuid4(), due_at=WHEN, breached_at=WHEN),
                         source="/test", subject=None, time=WHEN)


def approaching() -> Envelope:
    return Envelope.wrap(DeadlineApproaching(appeal_id=uuid.uuid4(), due_at=WHEN, remind_at=WHEN), source="/test",
                         subject=None, time=WHEN)


@pytest.fixture
async def pool(scratch_database):
    pool = await asyncpg.create_pool(scratch_database, min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await migrate(conn, runtime_migrations())
        await conn.execute("CREATE TABLE effects (event_id uuid PRIMARY KEY)")
    yield pool
    await pool.close()


async def effects(pool) -> set[uuid.UUID]:
    async with pool.acquire() as conn:
        return {r["event_id"] for r in await conn.fetch("SELECT event_id FROM effects")}


async def record_effect(uow: UnitOfWork, deliveries: Sequence[Delivery]) -> None:
    await uow.conn.executemany("INSERT INTO effects VALUES ($1)", [(d.envelope.id,) for d in deliveries])


def consumer_on(pool, publisher) -> EventConsumer:
    return EventConsumer(SETTINGS, partial(UnitOfWork, pool, source="/services/svc"), publisher)


async def test_effects_once_per_event_even_when_redelivered(pool):
    consumer = consumer_on(pool, CollectingPublisher())
    events = [breached() for _ in range(3)]
    batch = [record(i, e) for i, e in enumerate(events)]
    for _ in range(2):
        message = BatchMessage(batch + [batch[0]])  # a duplicate inside the batch too
        await consumer.process(message, consumer_name="svc.t", handler=record_effect)
        assert message.acked
    assert await effects(pool) == {e.id for e in events}
    assert consumer.stats.handled == 3 and consumer.stats.duplicates == 5


async def test_a_poison_event_is_dead_lettered_and_the_rest_applied(pool):
    publisher = CollectingPublisher()
    consumer = consumer_on(pool, publisher)
    good, poison, after = breached(), breached(), breached()

    async def handler(uow, deliveries):
        if any(d.envelope.id == poison.id for d in deliveries):
            raise KeyError("executor missing")
        await record_effect(uow, deliveries)

    message = BatchMessage([record(0, good), record(1, poison), record(2, after), record(3, value=b"{", envelope=good)])
    await consumer.process(message, consumer_name="svc.t", handler=handler)
    assert message.acked
    assert await effects(pool) == {good.id, after.id}
    reasons = {dict(r.headers)["dlq_original_offset"]: dict(r.headers)["dlq_reason"].decode() for r in publisher.records}
    assert set(reasons) == {b"1", b"3"}
    assert "KeyError" in reasons[b"1"] and "not JSON" in reasons[b"3"]
    assert all(r.topic == "appeals.deadlines.v1.dlq.svc" for r in publisher.records)


async def test_only_the_event_types_a_subscription_handles_are_parsed(pool):
    """A known type the table leaves out is acknowledged unread, even with a payload that would
    not parse; a record with no type at all is still dead-lettered, as is an unknown type."""
    publisher = CollectingPublisher()
    consumer = consumer_on(pool, publisher)
    handled, other = breached(), approaching()
    unknown = Envelope.wrap(DeadlineBreached(appeal_id=uuid.uuid4(), due_at=WHEN, breached_at=WHEN), source="/test",
                            subject=None, time=WHEN).model_copy(update={"type": "deadline.unheard_of"})
    message = BatchMessage([record(0, handled), record(1, other, value=b"{not even JSON"), record(2, unknown),
                            record(3, value=b"{}")])
    await consumer.process(message, consumer_name="svc.t", handler=record_effect,
                           handles=frozenset({"deadline.breached"}))
    assert message.acked
    assert await effects(pool) == {handled.id}
    assert consumer.stats.skipped == 1 and consumer.stats.handled == 1
    assert sorted(dict(r.headers)["dlq_original_offset"] for r in publisher.records) == [b"2", b"3"]


async def test_a_transient_fault_is_retried_then_succeeds(pool):
    consumer = consumer_on(pool, CollectingPublisher())
    event, calls = breached(), []

    async def flaky(uow, deliveries):
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("database restarting")
        await record_effect(uow, deliveries)

    message = BatchMessage([record(0, event)])
    await consumer.process(message, consumer_name="svc.t", handler=flaky)
    assert message.acked and await effects(pool) == {event.id}
    assert consumer.stats.transient_retries == 2


async def test_a_lasting_transient_fault_rewinds_and_never_dead_letters(pool):
    publisher = CollectingPublisher()
    consumer = consumer_on(pool, publisher)

    async def down(uow, deliveries):
        raise ConnectionRefusedError("database down")

    message = BatchMessage([record(0, breached())])
    await consumer.process(message, consumer_name="svc.t", handler=down)
    assert message.nacked and not message.acked
    assert publisher.records == [] and await effects(pool) == set()


async def test_a_failed_commit_does_not_wedge_the_consumer(pool):
    consumer = consumer_on(pool, CollectingPublisher())
    event = breached()
    await consumer.process(BatchMessage([record(0, event)], commit_error=CommitFailedError("rebalancing")),
                           consumer_name="svc.t", handler=record_effect)
    assert consumer.stats.commit_failures == 1
    redelivered = BatchMessage([record(0, event)])
    await consumer.process(redelivered, consumer_name="svc.t", handler=record_effect)
    assert redelivered.acked and consumer.stats.duplicates == 1


class RefusingPublisher(CollectingPublisher):
    """A dead-letter topic that refuses records with a value for good (too large)."""

    async def send_all(self, records: Sequence[Record]) -> list[BaseException | None]:
        refused = [MessageSizeTooLargeError() if r.value else None for r in records]
        self.records += [r for r, e in zip(records, refused, strict=True) if e is None]
        return refused


async def test_a_record_the_dead_letter_topic_refuses_for_good_goes_there_without_its_value(pool):
    publisher = RefusingPublisher()
    consumer = consumer_on(pool, publisher)
    message = BatchMessage([record(0, value=b"{" + b"x" * 100)])
    await consumer.process(message, consumer_name="svc.t", handler=record_effect)
    assert message.acked and not message.nacked, "a non-retriable broker error must not rewind forever"
    [dead] = publisher.records
    headers = dict(dead.headers)
    assert dead.value == b"" and headers["dlq_original_offset"] == b"0"
    assert b"missing CloudEvents headers" in headers["dlq_reason"]
    assert b"value dropped: MessageSizeTooLargeError" in headers["dlq_reason"]


async def test_events_reach_the_outbox_only_when_the_unit_of_work_commits(pool):
    async def announce(uow: UnitOfWork, deliveries: Sequence[Delivery]) -> None:
        for d in deliveries:
            uow.announce(d.event, subject=d.envelope.subject)
        if any(d.record.offset == 1 for d in deliveries):
            raise KeyError("poison")

    consumer = consumer_on(pool, CollectingPublisher())
    kept, poisoned = breached(), breached()
    await consumer.process(BatchMessage([record(0, kept), record(1, poisoned)]), consumer_name="svc.t",
                           handler=announce)
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT topic, headers FROM outbox")
    assert len(rows) == 1, "the rolled-back unit of work left nothing in the outbox"
    assert json.loads(rows[0]["headers"])["ce_source"] == "/services/svc"
