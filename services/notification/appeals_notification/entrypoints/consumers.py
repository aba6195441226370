"""Notification's Kafka subscription and its delivery workers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import asyncpg

from appeals_notification import handlers
from appeals_notification.adapters.unit_of_work import PostgresUnitOfWork
from appeals_notification.domain.delivery import QuietHours, RetryPolicy
from appeals_notification.domain.outgoing import Sender
from appeals_runtime.consumer import Delivery
from appeals_runtime.errors import is_transient
from appeals_runtime.service import Runtime

log = logging.getLogger(__name__)

TOPICS = ("appeals.registered.v1", "appeals.assigned.v1", "appeals.deadlines.v1", "appeals.inspections.v1")


def subscribe_all(runtime: Runtime, writer: handlers.Writer, clock: Callable[[], datetime]) -> None:
    async def on_appeal_events(conn: asyncpg.Connection, delivery: Delivery) -> None:
        if not hasattr(delivery.event, "appeal_id"):
            return
        uow = PostgresUnitOfWork(conn, delivery.trace_context)
        await handlers.on_event(uow, delivery.envelope, delivery.event, writer=writer, now=clock())
        await uow.flush()

    # One subscription over the appeal's topics keeps the consumer-group joins few.
    runtime.consumer.subscribe(runtime.broker, TOPICS, on_appeal_events, name="appeal-events")


async def deliver(runtime: Runtime, *, channel: str, sender: Sender | None, retry: RetryPolicy,
                  quiet_hours: QuietHours | None, interval_s: float, batch_size: int,
                  clock: Callable[[], datetime]) -> None:
    """One channel's worker: its own loop, so a provider outage holds up only its channel."""
    while True:
        try:
            async with runtime.pool.acquire() as conn, conn.transaction():
                uow = PostgresUnitOfWork(conn)
                claimed = await handlers.deliver_due(uow, channel=channel, sender=sender, now=clock(), retry=retry,
                                                     quiet_hours=quiet_hours, limit=batch_size)
                await uow.flush()
            if claimed:
                continue
        except Exception as exc:  # noqa: BLE001 - the worker must outlive a database restart
            if is_transient(exc):
                log.warning("%s delivery: %s; retrying", channel, type(exc).__name__)
            else:
                log.exception("%s delivery failed", channel)
        await asyncio.sleep(interval_s)
