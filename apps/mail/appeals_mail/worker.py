"""The adapter's two loops. Rounds over the INBOX every MAIL_POLL_S; and one consumer (group
``mail``) of intake's refusals and the platform's replies for the e-mail channel, each record's
offset committed only once it was handled: a mailbox or an SMTP server that is down holds the
record back and it is tried again, so nothing is lost and a refusal is answered once. A malformed
record is parked on ``<topic>.dlq.mail`` with the reason, like every consumer's."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from appeals_contracts.envelope import Envelope, EnvelopeError, safe_errors
from appeals_contracts.events import AppealIntakeRejected, OutboundNotification
from appeals_contracts.topics import outbound_topic
from appeals_mail import handlers
from appeals_mail import metrics
from appeals_mail.adapters.mailbox import MailboxDown
from appeals_mail.adapters.outgoing import SendFailed
from appeals_mail.config import MailSettings
from appeals_runtime.clock import Clock
from appeals_runtime.consumer import dead_letter_record
from appeals_runtime.http_client import Unavailable

log = logging.getLogger(__name__)

REJECTED = "appeals.intake-rejected.v1"
REPLIES = outbound_topic("email")
_TRANSIENT = (MailboxDown, SendFailed, Unavailable, OSError)


@dataclass
class State:
    """What the readiness probe reads: whether the last round reached the mailbox."""

    reached: bool = False

    async def mailbox_ok(self) -> bool:
        return self.reached


async def rounds(ports: handlers.Ports, every_s: float, state: State, clock: Clock) -> None:
    backoff = every_s
    first = True
    while True:
        try:
            if first:
                await ports.mailbox.prepare()
                first = False
            waiting = await ports.mailbox.waiting()
            metrics.WAITING.set(len(waiting))
            state.reached = True
            done = await handlers.take_in(ports, waiting, now=clock.now())
            if done.submitted or done.held:
                log.info("mail round: %d letter(s) handed to intake, %d held back", done.submitted, done.held)
            backoff = every_s
        except _TRANSIENT as down:
            if isinstance(down, MailboxDown):
                state.reached = False
            metrics.MAILBOX_DOWN.inc()
            log.warning("mail round failed (%s): the letters stay in the mailbox; trying again in %.0f s",
                        down, backoff)
            backoff = min(backoff * 2, 300.0)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the loop must outlive a bug in one round; it is logged with its trace
            log.exception("mail round failed: the letters stay in the mailbox")
        await asyncio.sleep(backoff)


def _event(record) -> AppealIntakeRejected | OutboundNotification | str | None:
    """The record's event, None for an event type the adapter does not handle, or the reason it
    is malformed (a string)."""
    try:
        envelope = Envelope.from_kafka(record.headers, record.value)
        if envelope.type == "appeal.intake_rejected":
            return AppealIntakeRejected.model_validate(envelope.data)
        if envelope.type == "notification.outbound":
            return OutboundNotification.model_validate(envelope.data)
    except EnvelopeError as bad:
        return str(bad)[:500]
    except ValidationError as bad:
        return f"payload does not fit its event: {safe_errors(bad)}"[:500]
    return None


async def _dead_letter(ports: handlers.Ports, record, reason: str, clock: Clock) -> None:
    """A malformed record parked on ``<topic>.dlq.mail`` with the reason, as every consumer of the
    platform parks it (``appeals dlq`` lists it); raises while the broker does not take it."""
    [failed] = await ports.publisher.send_all([dead_letter_record(record, reason, service="mail", at=clock.now())])
    if failed is not None:
        raise Unavailable(f"dead letter not taken: {type(failed).__name__}")
    metrics.DEAD_LETTERS.inc()
    log.error("dead-lettered %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)


async def replies(ports: handlers.Ports, settings: MailSettings, state: State, clock: Clock) -> None:
    consumer = AIOKafkaConsumer(REJECTED, REPLIES, **settings.kafka_client_options(), group_id="mail",
                                client_id="mail", enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=1000, max_records=50)
            for tp, records in batches.items():
                for record in records:
                    event = _event(record)
                    try:
                        if isinstance(event, str):
                            await _dead_letter(ports, record, event, clock)
                        elif isinstance(event, AppealIntakeRejected):
                            await handlers.on_rejected(ports, event)
                        elif isinstance(event, OutboundNotification):
                            await handlers.on_outbound(ports, event)
                    except _TRANSIENT as down:
                        metrics.SMTP_FAILED.inc() if isinstance(down, SendFailed) else metrics.MAILBOX_DOWN.inc()
                        log.warning("a reply could not be handled now (%s): tried again in 5 s", down)
                        consumer.seek(tp, record.offset)
                        await asyncio.sleep(5)
                        break
                    await consumer.commit({TopicPartition(tp.topic, tp.partition): record.offset + 1})
    finally:
        await consumer.stop()
