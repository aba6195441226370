"""Helpers for tests and benchmarks: build submissions as an adapter would, read topics."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import yaml
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

from aiokafka import AIOKafkaProducer, ConsumerRecord

from appeals_contracts.envelope import Envelope
from appeals_runtime import dead_letters
from appeals_contracts.events import AppealSubmitted, CitizenContact
from appeals_runtime.clock import Clock
from appeals_runtime.migrations import discover, migrate, runtime_migrations

VALID_IIN = "900101300007"  # a well-formed test IIN (check digit 7)


def submission(channel_message_id: str, *, category: str = "social_aid", channel: str = "contact_centre",
               **overrides: Any) -> AppealSubmitted:
    """A valid submission; ``overrides`` replace fields."""
    fields: dict[str, Any] = dict(
        channel=channel, channel_message_id=channel_message_id, kind="request", category=category,
        district="almaly", address="Abai avenue 10", text="Please help with food parcels for my family.",
        language="ru", citizen=CitizenContact(name="Test Citizen", iin=VALID_IIN, phone="+77011234567",
                                              email="citizen@example.kz", preferred_language="ru"),
        submitted_at=Clock().now(),
    )
    fields.update(overrides)
    return AppealSubmitted(**fields)


def submission_record(event: AppealSubmitted, *, source: str = "/adapters/test") -> tuple[bytes, bytes, list]:
    """(key, value, headers) of a submission, as a channel adapter publishes it."""
    envelope = Envelope.wrap(event, source=source, subject=f"{event.channel}:{event.channel_message_id}",
                             time=Clock().now())
    return (f"{event.channel}:{event.channel_message_id}".encode(), envelope.kafka_value(),
            envelope.kafka_headers())


async def produce(bootstrap: str, topic: str, records: list[tuple[bytes | None, bytes, list]],
                  **options: Any) -> None:
    """Publish records with a plain aiokafka producer, acks awaited; ``options`` go to the producer."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **{"acks": "all", "linger_ms": 5, **options})
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key, headers=headers) for key, value, headers in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_topic(bootstrap: str, topic: str, *, until: Callable[[list[ConsumerRecord]], bool] | None = None,
                     timeout_s: float = 60.0, idle_s: float = 2.0) -> list[ConsumerRecord]:
    """Every record of ``topic`` from the beginning, read until ``until(records)`` holds (or,
    without ``until``, until nothing new came for ``idle_s``), at most ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    consumer, partitions = await dead_letters.reader(bootstrap, topic, wait_s=timeout_s)
    records: list[ConsumerRecord] = []
    try:
        last_new = time.monotonic()
        while partitions and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            for recs in batch.values():
                records.extend(recs)
                last_new = time.monotonic()
            if until is not None and until(records):
                break
            if until is None and time.monotonic() - last_new > idle_s:
                break
        return records
    finally:
        await consumer.stop()


async def read_to_end(bootstrap: str, topic: str, timeout_s: float = 60.0) -> list[ConsumerRecord]:
    """Every record of ``topic`` up to its end as of now, on every partition: a positive end
    for "nothing more arrived" checks (publish a marker first, wait for it, then read to the end).
    The end is each partition's fetch high watermark: the embedded broker's ListOffsets answers
    the last batch's base offset, not the end."""
    return await dead_letters.read_to_end(bootstrap, topic, timeout_s)


def header(record: ConsumerRecord, name: str) -> str | None:
    for k, v in record.headers or ():
        if k == name:
            return v.decode()
    return None


async def eventually(check: Callable[[], Any], what: str, timeout_s: float = 60.0, interval_s: float = 0.3) -> Any:
    """Poll ``check`` (a plain or an async function) until it returns something truthy, and
    return that; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(interval_s)


#: The rule table routing ships.
ROUTING_RULES = Path(__file__).resolve().parents[3] / "services" / "routing" / "appeals_routing" / "data" / "rules.yaml"


def expected_executor(category: str, district: str | None) -> str:
    """The rule table's answer, computed here from routing's shipped file, independently of
    routing's code (a library never imports a service)."""
    rules = [r for r in yaml.safe_load(ROUTING_RULES.read_text("utf-8"))["rules"] if r.get("active", True)]
    for wanted in ((category, district), (category, None), (None, None)):
        for r in rules:
            if (r.get("category"), r.get("district")) == wanted and (wanted[1] is not None or "district" not in r):
                return r["executor"]
    raise AssertionError("the rule file has no default")


async def migrated(dsn: str, service: str, package: str) -> str:
    """``dsn``'s database with the runtime's tables and ``service``'s own (from ``package``, its
    migrations, some of which read the runtime's); the same ``dsn``."""
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn, runtime_migrations() + discover(service, package))
    finally:
        await conn.close()
    return dsn


Repository = TypeVar("Repository")
Seen = TypeVar("Seen")


async def on_the_tables(dsn: str, repository: Callable[[asyncpg.Connection], Repository],
                        steps: Callable[[Repository], Awaitable[Seen]]) -> Seen:
    """A fake-vs-tables test's steps run on the real repository, in one transaction as a unit of
    work would run them: what they observed."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            return await steps(repository(conn))
    finally:
        await conn.close()
