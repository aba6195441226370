"""Notification's inbound table and its delivery workers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import timedelta

from appeals_notification import handlers
from appeals_notification.adapters.unit_of_work import PostgresUnitOfWork
from appeals_notification.domain.delivery import DeliveryBackoff, QuietHours
from appeals_notification.domain.digest import DigestPolicy
from appeals_notification.domain.outgoing import Renderer, Sender
from appeals_runtime.inbound import Delivery
from appeals_runtime.inbound import Subscription, batch
from appeals_runtime.retry import RetryPolicy
from appeals_runtime.service import Runtime

TOPICS = ("appeals.registered.v1", "appeals.assigned.v1", "appeals.deadlines.v1", "appeals.inspections.v1")


def subscriptions(writer: handlers.Writer, wake: Mapping[str, asyncio.Event]) -> list[Subscription]:
    """Notification's inbound table: one subscription over the appeal's topics keeps the
    consumer-group joins few; a batch is handled set-based (handlers.on_events). ``wake``: each
    delivery channel's worker bell, rung when a batch committed messages due now."""

    async def on_appeal_events(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        due = await handlers.on_events(uow, [(d.envelope, d.event) for d in deliveries], writer=writer,
                                       now=uow.clock.now())
        for channel in due:
            uow.after_commit(wake[channel].set)

    return [batch("appeal-events", TOPICS, handlers.HANDLED, on_appeal_events)]


#: Recording what a provider answered outlasts a database outage: the outcome is known only
#: here, in memory, and losing it would make the message "in doubt".
RECORDING = RetryPolicy(attempts=None, initial_s=0.5, max_s=5.0)


async def deliver(runtime: Runtime[PostgresUnitOfWork], *, channel: str, sender: Sender | None, retry: DeliveryBackoff,
                  quiet_hours: QuietHours | None, batch_size: int, lease: timedelta, in_doubt: str,
                  digests: DigestPolicy | None = None, renderer: Renderer | None = None) -> bool:
    """One round of a channel's worker (each channel has its own, so a provider outage holds
    up only its channel); True when it found messages to send.

    Three steps, so that no fault of ours sends a message twice: claim the due messages and
    mark them "sending" (committed), call the provider (no transaction open), record the
    outcomes (retried through database outages). Messages a stopped worker left "sending"
    are resolved first, by the channel's ``in_doubt`` policy."""
    now = runtime.clock.now()
    if sender is None:
        async with runtime.unit_of_work() as uow:
            return await handlers.deliver_in_channel(uow, now=now, retry=retry, limit=batch_size) > 0
    async with runtime.unit_of_work() as uow:
        resolved = await handlers.resolve_in_doubt(uow, channel=channel, now=now, lease=lease, policy=in_doubt,
                                                   limit=batch_size)
        rows = await handlers.claim_for_sending(uow, channel=channel, now=now, quiet_hours=quiet_hours,
                                                limit=batch_size, digests=digests)
    if not rows:
        return resolved > 0
    outcomes = await handlers.send_all(sender, rows, renderer=renderer if digests is not None else None)

    async def record() -> None:
        async with runtime.unit_of_work() as uow:
            await handlers.record_outcomes(uow, rows, outcomes, channel=channel, now=runtime.clock.now(),
                                           retry=retry)

    await RECORDING.call(f"recording {len(rows)} {channel} outcomes", record)
    return True
