"""Kafka consumers over FastStream, with the platform's delivery guarantees.

Every subscription is a FastStream batch subscriber with the ``MANUAL`` ack policy; the
wrapper decides when offsets are committed:

1. Records that are not well-formed events (not JSON, missing CloudEvents headers, a
   payload that does not fit its model) go to ``<topic>.dlq.<service>`` with the reason in
   headers; the rest of the batch goes on.
2. The valid events run through the handler in **one database transaction per batch**,
   together with the bulk inbox claim, so a redelivered event has no second effect.
3. A transient fault (database or broker down) is retried with exponential backoff; when
   the attempts run out the batch is rewound (``seek``) and read again later: never
   dead-lettered, never skipped.
4. Any other fault is a poison event: the batch is replayed one event per transaction to
   find it, the culprit is dead-lettered with the reason, the others are applied.
5. Offsets are committed only after the database commit (and after the dead letters were
   acknowledged). A failed commit (a rebalance) is logged and dropped: the records come
   again to whoever owns the partition, and the inbox makes that harmless.

Records stay in partition order inside a batch, so per-appeal order holds.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence, Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, Topic
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace

from appeals_contracts.envelope import Envelope, EnvelopeError
from appeals_contracts.registry import EVENT_TYPES
from appeals_contracts.topics import dead_letter_topic
from appeals_runtime import inbox, metrics
from appeals_runtime.clock import Clock
from appeals_runtime.errors import describe, is_transient
from appeals_runtime.inbound import BatchHandler, Delivery, InvalidHandler, Subscription
from appeals_runtime.publisher import Publisher, Record
from appeals_runtime.settings import ServiceSettings
from appeals_runtime.telemetry import start_span
from appeals_runtime.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
_consumer: contextvars.ContextVar[str] = contextvars.ContextVar("consumer", default="?")


#: Opens the service's unit of work (an async context manager over one transaction).
UnitOfWorkFactory = Callable[[], UnitOfWork]


@dataclass
class ConsumerStats:
    """Counters for metrics and tests."""

    handled: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    transient_retries: int = 0
    rewinds: int = 0
    commit_failures: int = 0
    skipped: int = 0  # events of types the subscription does not handle, acknowledged unread


class EventConsumer:
    """Registers subscriptions on a FastStream broker and runs them with the guarantees above."""

    def __init__(self, settings: ServiceSettings, unit_of_work: UnitOfWorkFactory, publisher: Publisher, *,
                 clock: Clock | None = None) -> None:
        self._settings = settings
        self._unit_of_work = unit_of_work
        self._publisher = publisher
        self._retry = settings.consumer_retry()
        self._clock = clock or settings.clock()
        self.stats = ConsumerStats()

    def register(self, broker: KafkaBroker, subscription: Subscription) -> None:
        """Register one row of a service's inbound table (:mod:`appeals_runtime.inbound`).

        Each subscription is one consumer group, ``<service>.<name>``, so a replica joining or
        leaving rebalances one subscription, not all of them. The group name is also the
        inbox's consumer name.
        """
        group = f"{self._settings.service_name}.{subscription.name}"
        handles = subscription.event_types

        async def on_topic(body: Any, message: KafkaMessage) -> None:
            await self.process(message, consumer_name=group, handler=subscription.handler,
                               on_invalid=subscription.on_invalid, handles=handles)

        on_topic.__name__ = "on_" + subscription.name.replace(".", "_").replace("-", "_")
        # The platform's set-up creates the topics with the registry's partitions and replication
        # (appeals_runtime.kafka_admin): FastStream's own creation (1 partition, 1 replica) would
        # be wrong, and under ACLs a service may not create topics.
        broker.subscriber(
            *(Topic(t, declare=False) for t in subscription.topics),
            group_id=group,
            batch=True,
            max_records=self._settings.consumer_max_records,
            batch_timeout_ms=self._settings.consumer_batch_timeout_ms,
            fetch_max_wait_ms=self._settings.consumer_fetch_max_wait_ms,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            session_timeout_ms=self._settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=self._settings.consumer_heartbeat_interval_ms,
            max_poll_interval_ms=self._settings.consumer_max_poll_interval_ms,
            parser=_parse_batch,
            decoder=_raw_body,
            title=on_topic.__name__,
        )(on_topic)

    async def process(self, message: Any, *, consumer_name: str, handler: BatchHandler,
                      on_invalid: InvalidHandler | None = None, handles: AbstractSet[str] | None = None) -> None:
        """Handle one fetched batch and commit its offsets (FastStream calls this).

        ``handles``: the event types the handler takes (None: all); a record of another known
        type is acknowledged without its payload being parsed."""
        _consumer.set(consumer_name)
        started = time.monotonic()
        records: tuple[ConsumerRecord, ...] = tuple(message.raw_message)
        metrics.BATCH_SIZE.labels(consumer_name).observe(len(records))
        deliveries, spans, dead = self._parse(records, handles)
        try:
            done = await self._apply_with_retries(deliveries, consumer_name, handler, dead)
            if done and dead and on_invalid is not None:
                done = await self._tell_sender(dead, on_invalid)
            if done and dead:
                done = await self._dead_letter_with_retries(dead)
        finally:
            for span in spans:
                span.end()
        if not done:
            self.stats.rewinds += 1
            metrics.REWINDS.labels(consumer_name).inc()
            await message.nack()
            return
        try:
            await message.ack()
        except (KafkaError, asyncio.TimeoutError) as exc:
            # Typically CommitFailedError during a rebalance. The new owner re-reads these
            # records and the inbox turns them into no-ops; the consumer goes on.
            self.stats.commit_failures += 1
            log.warning("offset commit failed for %s (%s); records will be redelivered", consumer_name,
                        type(exc).__name__)
        metrics.BATCH_SECONDS.labels(consumer_name).observe(time.monotonic() - started)

    def _parse(self, records: Sequence[ConsumerRecord], handles: AbstractSet[str] | None = None,
               ) -> tuple[list[Delivery], list[trace.Span], list[tuple[ConsumerRecord, str]]]:
        """The valid events the handler takes, each in its processing span (started here: the
        caller ends them), and the records to dead-letter with the reason."""
        deliveries: list[Delivery] = []
        spans: list[trace.Span] = []
        dead: list[tuple[ConsumerRecord, str]] = []
        for record in records:
            if handles is not None and _not_handled(record, handles):
                self.stats.skipped += 1
                continue
            try:
                envelope = Envelope.from_kafka(record.headers, record.value)
                event = envelope.event()
            except EnvelopeError as exc:
                dead.append((record, str(exc)))
                continue
            key = record.key.decode("utf-8", "replace") if record.key is not None else None
            span = self._start_span(record.topic, envelope)
            spans.append(span)
            deliveries.append(Delivery(envelope, event, record.topic, record.partition, record.offset, key,
                                       trace.set_span_in_context(span), record))
        return deliveries, spans, dead

    def _start_span(self, topic: str, envelope: Envelope) -> trace.Span:
        carrier = {k: v for k, v in (("traceparent", envelope.traceparent), ("tracestate", envelope.tracestate)) if v}
        return start_span(
            f"{topic} process",
            carrier,
            kind=trace.SpanKind.CONSUMER,
            attributes=lambda: {
                "messaging.system": "kafka",
                "messaging.destination.name": topic,
                "messaging.message.id": str(envelope.id),
                "appeals.event_type": envelope.type,
                "appeals.subject": envelope.subject or "",
                "appeals.service": self._settings.service_name,
            },
        )

    async def _apply_with_retries(
        self,
        deliveries: list[Delivery],
        consumer_name: str,
        handler: BatchHandler,
        dead: list[tuple[ConsumerRecord, str]],
    ) -> bool:
        """Apply the batch; False when transient faults outlasted the attempts."""
        if not deliveries:
            return True
        try:
            return await self._retrying(lambda: self._apply(deliveries, consumer_name, handler))
        except _Poison:
            return await self._apply_one_by_one(deliveries, consumer_name, handler, dead)

    async def _apply_one_by_one(
        self,
        deliveries: list[Delivery],
        consumer_name: str,
        handler: BatchHandler,
        dead: list[tuple[ConsumerRecord, str]],
    ) -> bool:
        """The batch holds a poison event: one transaction per event finds it; the culprits
        join ``dead`` (for the DLQ), the others are applied."""
        for delivery in deliveries:
            try:
                if not await self._retrying(functools.partial(self._apply, [delivery], consumer_name, handler)):
                    return False
            except _Poison as poison:
                dead.append((delivery.record, poison.reason))
        return True

    async def _retrying(self, attempt: Callable[[], Awaitable[None]]) -> bool:
        """Run ``attempt`` under the retry policy; False when transient faults outlasted it,
        :class:`_Poison` for any other fault."""
        try:
            async for retry in self._retry.retrying("consumer", on_retry=self._count_retry):
                with retry:
                    await attempt()
        except Exception as exc:
            if is_transient(exc):
                self.stats.transient_retries += 1
                return False
            raise _Poison(describe(exc)) from exc
        return True

    def _count_retry(self, _: BaseException) -> None:
        self.stats.transient_retries += 1
        metrics.TRANSIENT_RETRIES.labels(_consumer.get()).inc()

    async def _apply(self, deliveries: Sequence[Delivery], consumer_name: str, handler: BatchHandler) -> None:
        async with self._unit_of_work() as uow:
            fresh = await inbox.claim_new(uow.conn, consumer_name, [d.envelope.id for d in deliveries])
            new: list[Delivery] = []
            for d in deliveries:
                if d.envelope.id in fresh:
                    fresh.discard(d.envelope.id)  # a second copy inside the batch is a duplicate too
                    new.append(d)
            if new:
                await handler(uow, new)
        self.stats.handled += len(new)
        self.stats.duplicates += len(deliveries) - len(new)
        for (topic, event_type), count in Counter((d.topic, d.envelope.type) for d in new).items():
            metrics.EVENTS_HANDLED.labels(consumer_name, topic, event_type).inc(count)
        if len(deliveries) > len(new):
            metrics.EVENTS_DUPLICATE.labels(consumer_name, deliveries[0].topic).inc(len(deliveries) - len(new))

    async def _tell_sender(self, dead: list[tuple[ConsumerRecord, str]], on_invalid: InvalidHandler) -> bool:
        async def attempt() -> None:
            async with self._unit_of_work() as uow:
                for record, reason in dead:
                    await on_invalid(uow, record, reason)

        try:
            return await self._retrying(attempt)
        except _Poison as poison:
            log.error("the invalid-record hook failed (%s); dead-lettering only", poison.reason)
            return True

    async def _dead_letter_with_retries(self, dead: list[tuple[ConsumerRecord, str]]) -> bool:
        """Dead-letter ``dead``; False (rewind) only while the broker is unavailable. A record
        the dead-letter topic refuses for good (too large, say) goes there without its value,
        the refusal added to the reason: its headers still say where the original is."""
        records = [self._dead_letter_record(r, reason) for r, reason in dead]

        async def send() -> None:
            results = await self._publisher.send_all(records)
            for i, error in enumerate(results):
                if error is not None and not is_transient(error):
                    record, reason = dead[i]
                    log.error("dead-letter topic refused %s[%d]@%d (%s); sending it without its value",
                              record.topic, record.partition, record.offset, type(error).__name__)
                    records[i] = self._dead_letter_record(
                        record, f"{reason}; value dropped: {describe(error, 200)}", keep_value=False)
            if any(e is not None for e in results):
                raise next(e for e in results if e is not None)

        try:
            ok = await self._retrying(send)
        except _Poison:
            ok = await self._retrying(send)  # once more, now with the refused values dropped
        if ok:
            self.stats.dead_lettered += len(records)
            for record, _ in dead:
                metrics.DEAD_LETTERS.labels(_consumer.get(), record.topic).inc()
            for (record, reason) in dead:
                log.error("dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
        return ok

    def _dead_letter_record(self, record: ConsumerRecord, reason: str, *, keep_value: bool = True) -> Record:
        return dead_letter_record(record, reason, service=self._settings.service_name, at=self._clock.now(),
                                  keep_value=keep_value)


def dead_letter_record(record: ConsumerRecord, reason: str, *, service: str, at: datetime,
                       keep_value: bool = True) -> Record:
    """The record for ``<topic>.dlq.<service>``: the original's key, value and headers, and where it
    came from, why and when (what ``appeals dlq`` lists and replays). Every consumer of the
    platform parks what it cannot process this way, the services' and the adapters' alike."""
    headers = list(record.headers or ())
    headers += [
        ("dlq_reason", reason.encode()),
        ("dlq_service", service.encode()),
        ("dlq_original_topic", record.topic.encode()),
        ("dlq_original_partition", str(record.partition).encode()),
        ("dlq_original_offset", str(record.offset).encode()),
        ("dlq_failed_at", at.isoformat().encode()),
    ]
    value = (record.value or b"") if keep_value else b""
    return Record(dead_letter_topic(record.topic, service), record.key, value, headers)


def _not_handled(record: ConsumerRecord, handles: AbstractSet[str]) -> bool:
    """True for a record whose ``ce_type`` header names a known event type that ``handles``
    leaves out. An unknown, missing or unreadable type is not decided here: the envelope's
    parser dead-letters it with the reason."""
    for key, value in record.headers or ():
        if key == "ce_type":
            if value is None:
                return False
            try:
                event_type = value.decode()
            except UnicodeDecodeError:
                return False
            return event_type in EVENT_TYPES and event_type not in handles
    return False


class _Poison(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _parse_batch(records: tuple[ConsumerRecord, ...], original: Any) -> Any:
    """FastStream's message for a fetched batch, without decoding every record's headers.

    FastStream's own batch parser (``original``, a bound method of its parser, whose message
    class and consumer are used here) decodes each header of each record as UTF-8 before any of
    our code runs. One header that was not UTF-8, or was null, failed the whole batch there:
    FastStream logged the error and went on, so the batch's good records were neither applied
    nor dead-lettered. Headers are read once, by :meth:`Envelope.from_kafka`, which
    dead-letters what is malformed; that was also a second decoding of every header."""
    default = original.__self__
    first, last = records[0], records[-1]
    return default.msg_class(
        body=[r.value or b"" for r in records],
        raw_message=records,
        message_id=f"{first.offset}-{last.offset}-{first.timestamp}",
        consumer=default._consumer,  # noqa: SLF001 - the consumer FastStream acks and rewinds with
    )


async def _raw_body(message: Any) -> Any:
    """Leave decoding to the wrapper, so a malformed record reaches the dead-letter path."""
    return message.body
