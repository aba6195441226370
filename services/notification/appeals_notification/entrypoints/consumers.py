"""Notification's Kafka subscription and its delivery workers."""

from __future__ import annotations

from appeals_notification import handlers
from appeals_notification.adapters.unit_of_work import PostgresUnitOfWork
from appeals_notification.domain.delivery import QuietHours, RetryPolicy
from appeals_notification.domain.outgoing import Sender
from appeals_runtime.consumer import Delivery
from appeals_runtime.service import Runtime

TOPICS = ("appeals.registered.v1", "appeals.assigned.v1", "appeals.deadlines.v1", "appeals.inspections.v1")


def subscribe_all(runtime: Runtime, writer: handlers.Writer) -> None:
    async def on_appeal_events(uow: PostgresUnitOfWork, delivery: Delivery) -> None:
        if hasattr(delivery.event, "appeal_id"):
            await handlers.on_event(uow, delivery.envelope, delivery.event, writer=writer, now=runtime.clock.now())

    # One subscription over the appeal's topics keeps the consumer-group joins few.
    runtime.consumer.subscribe(runtime.broker, TOPICS, on_appeal_events, name="appeal-events")


async def deliver(runtime: Runtime, *, channel: str, sender: Sender | None, retry: RetryPolicy,
                  quiet_hours: QuietHours | None, batch_size: int) -> bool:
    """One round of a channel's worker (each channel has its own, so a provider outage holds
    up only its channel); True when it found messages to send."""
    async with runtime.unit_of_work() as uow:
        claimed = await handlers.deliver_due(uow, channel=channel, sender=sender, now=runtime.clock.now(),
                                             retry=retry, quiet_hours=quiet_hours, limit=batch_size)
    return claimed > 0
