"""Dead letters for the operator: find them across the ``<topic>.dlq.<service>`` topics, show
one, replay the original record to its original topic (the inbox makes a replay of
something already applied a no-op), and purge handled ones. Used by ``appeals dlq``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.errors import KafkaError

DLQ_MARK = ".dlq."
#: Where the broker is: its servers (``host:port,...``), or a client's whole options (SASL,
#: TLS; ``ServiceSettings.kafka_client_options``).
Connection = str | dict[str, Any]


def _options(connection: Connection) -> dict[str, Any]:
    return {"bootstrap_servers": connection} if isinstance(connection, str) else dict(connection)


@dataclass(frozen=True)
class DeadLetter:
    dlq_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str:
        return next((v.decode("utf-8", "replace") for k, v in self.headers if k == name), "")

    @property
    def service(self) -> str:
        return self.dlq_topic.rsplit(DLQ_MARK, 1)[1]

    @property
    def original_topic(self) -> str:
        return self.header("dlq_original_topic") or self.dlq_topic.rsplit(DLQ_MARK, 1)[0]

    @property
    def reason(self) -> str:
        return self.header("dlq_reason")

    @property
    def failed_at(self) -> datetime | None:
        text = self.header("dlq_failed_at")
        return datetime.fromisoformat(text) if text else None

    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(k, v) for k, v in self.headers if not k.startswith("dlq_")]


async def reader(bootstrap: Connection, topic: str | Sequence[str], *,
                 wait_s: float = 0.0) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
    """A started consumer assigned every partition of ``topic`` (or of several) from the
    beginning. No consumer group: a reader needs none (and a join costs seconds on the
    embedded broker). ``bootstrap`` is the servers, or a service's whole client options (SASL,
    TLS). Waits up to ``wait_s`` for the topic to exist; no partitions if it does not."""
    options = _options(bootstrap)
    topics = (topic,) if isinstance(topic, str) else tuple(topic)
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    deadline = time.monotonic() + wait_s
    while True:
        # aiokafka has no public look-up of a topic it is not subscribed to; the client's is stable.
        cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(cluster.partitions_for_topic(t) or ())]
        if partitions or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.2)
    if partitions:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
    return consumer, partitions


async def read_to_end(bootstrap: Connection, topic: str, timeout_s: float = 60.0) -> list[ConsumerRecord]:
    """Every record of ``topic`` up to each partition's high watermark as of the first fetch
    (the embedded broker's ListOffsets answers the last batch's base offset, not the end)."""
    consumer, partitions = await reader(bootstrap, topic)
    try:
        records: list[ConsumerRecord] = []
        ends: dict[TopicPartition, int] = {}
        seen = {tp: 0 for tp in partitions}
        deadline = time.monotonic() + timeout_s
        while len(ends) < len(partitions) or any(seen[tp] < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} was not read to its end in {timeout_s} s")
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            for tp in partitions:
                if tp not in ends and (highwater := consumer.highwater(tp)) is not None:
                    ends[tp] = highwater
            for tp, recs in batch.items():
                records.extend(r for r in recs if r.offset < ends.get(tp, r.offset + 1))
                if recs:
                    seen[tp] = recs[-1].offset + 1
        return records
    finally:
        await consumer.stop()


async def high_watermarks(client_options: dict[str, Any], topics: Sequence[str],
                          timeout_s: float = 15.0) -> dict[TopicPartition, int]:
    """Each partition's end offset as a fetch reports it (ListOffsets is not reliable on the
    embedded broker). Topics that do not exist have no partitions here."""
    consumer, partitions = await reader(client_options, topics)
    try:
        ends: dict[TopicPartition, int] = {}
        deadline = time.monotonic() + timeout_s
        while len(ends) < len(partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no end offsets for {sorted(set(partitions) - set(ends))} in {timeout_s} s")
            await consumer.getmany(timeout_ms=200, max_records=1)
            ends.update({tp: high for tp in partitions if (high := consumer.highwater(tp)) is not None})
        return ends
    finally:
        await consumer.stop()


async def end_offsets(client_options: dict[str, Any], topics: Sequence[str]) -> dict[TopicPartition, int]:
    """Each partition's end offset as ListOffsets answers it: exact on Apache Kafka, and allowed
    with Describe alone (a producer may not read its own topic); on the embedded broker it is
    the last batch's base offset, lower than the end (:func:`high_watermarks`)."""
    consumer, partitions = await reader(client_options, topics)
    try:
        return dict(await consumer.end_offsets(partitions)) if partitions else {}
    finally:
        await consumer.stop()


async def dead_letter_topics(bootstrap: Connection) -> list[str]:
    consumer = AIOKafkaConsumer(**_options(bootstrap))
    await consumer.start()
    try:
        return sorted(t for t in await consumer.topics() if DLQ_MARK in t)
    finally:
        await consumer.stop()


async def find(bootstrap: Connection, *, service: str | None = None, topic: str | None = None, reason: str | None = None,
               since: datetime | None = None, until: datetime | None = None) -> list[DeadLetter]:
    """Dead letters matching every filter given (``reason``: a part of it)."""
    found = []
    for dlq in await dead_letter_topics(bootstrap):
        original, _, owner = dlq.rpartition(DLQ_MARK)
        if (service and owner != service) or (topic and original != topic):
            continue
        records = await read_to_end(bootstrap, dlq)
        for r in records:
            letter = DeadLetter(dlq, r.partition, r.offset, r.key, r.value or b"", tuple(r.headers or ()))
            at = letter.failed_at
            if reason and reason not in letter.reason:
                continue
            if (since and (at is None or at < since)) or (until and (at is None or at >= until)):
                continue
            found.append(letter)
    return found


async def replay(bootstrap: Connection, letters: list[DeadLetter]) -> int:
    """Republish each letter's original record (key, headers, value) to its original topic."""
    producer = AIOKafkaProducer(**_options(bootstrap), acks="all")
    await producer.start()
    try:
        sent = [await producer.send(l.original_topic, l.value, key=l.key, headers=l.original_headers())
                for l in letters if l.value]
        await asyncio.gather(*sent)
        return len(sent)
    finally:
        await producer.stop()


class PurgeRefused(Exception):
    """The broker does not delete records (DeleteRecords); nothing was deleted."""


def purge_plan(records: list[tuple[str, int, int]], chosen: set[tuple[str, int, int]]) -> dict[tuple[str, int], int]:
    """Where to cut each partition so that only chosen letters go: (topic, partition) → the
    offset below which records are deleted. ``records`` are every letter of the topics as
    (topic, partition, offset).

    Kafka deletes a partition's records only below an offset (DeleteRecords), so letters go
    only as a prefix: from the partition's oldest record up to the first record not chosen.
    """
    cuts: dict[tuple[str, int], int] = {}
    stopped: set[tuple[str, int]] = set()
    for topic, partition, offset in sorted(records):
        if (topic, partition) in stopped:
            continue
        if (topic, partition, offset) in chosen:
            cuts[topic, partition] = offset + 1
        else:
            stopped.add((topic, partition))  # this record stays, and with it every later one
    return cuts


async def purge(bootstrap: Connection, letters: list[DeadLetter]) -> tuple[int, int]:
    """Delete the chosen dead letters (see :func:`purge_plan`); returns (deleted, kept)."""
    chosen = {(l.dlq_topic, l.partition, l.offset) for l in letters}
    records = [(topic, r.partition, r.offset) for topic in sorted({t for t, _, _ in chosen})
               for r in await read_to_end(bootstrap, topic)]
    cuts = purge_plan(records, chosen)
    deleted = sum(1 for topic, partition, offset in chosen if offset < cuts.get((topic, partition), 0))
    if cuts:
        admin = AIOKafkaAdminClient(**_options(bootstrap))
        await admin.start()
        try:
            await admin.delete_records({TopicPartition(t, p): RecordsToDelete(o) for (t, p), o in cuts.items()})
        except KafkaError as exc:
            raise PurgeRefused(f"the broker did not delete the records ({type(exc).__name__}); the embedded "
                               "broker does not support DeleteRecords and keeps them only in memory, until it "
                               "stops; on Apache Kafka they expire with the topic's retention.ms") from None
        finally:
            await admin.close()
    return deleted, len(letters) - deleted
