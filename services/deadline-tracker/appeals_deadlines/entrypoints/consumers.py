"""The deadline tracker's Kafka subscriptions and its timer sweep."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import asyncpg

from appeals_contracts.events import (
    AnswerAccepted,
    AppealAnswered,
    AppealExtensionRequested,
    AppealNotRouted,
    AppealRegistered,
)
from appeals_deadlines import handlers
from appeals_deadlines.adapters.unit_of_work import PostgresUnitOfWork
from appeals_deadlines.domain.calendar import WorkingCalendar
from appeals_deadlines.domain.policies import Regime
from appeals_runtime.consumer import Delivery
from appeals_runtime.errors import is_transient
from appeals_runtime.service import Runtime

log = logging.getLogger(__name__)

TOPICS = ("appeals.registered.v1", "appeals.assigned.v1", "appeals.answered.v1",
          "appeals.extension-requested.v1", "appeals.inspections.v1")


def subscribe_all(runtime: Runtime, regime: Regime, calendar: WorkingCalendar, families: dict[str, str],
                  clock: Callable[[], datetime]) -> None:
    async def on_appeal_events(conn: asyncpg.Connection, delivery: Delivery) -> None:
        e, now = delivery.event, clock()
        uow = PostgresUnitOfWork(conn, delivery.trace_context)
        if isinstance(e, AppealRegistered):
            await handlers.schedule(uow, appeal_id=e.appeal_id, channel_family=families[e.channel],
                                    registered_at=e.registered_at, regime=regime, calendar=calendar, now=now)
        elif isinstance(e, AppealExtensionRequested):
            await handlers.request_extension(uow, appeal_id=e.appeal_id, reason=e.reason,
                                             requested_at=e.requested_at, regime=regime, calendar=calendar, now=now)
        elif isinstance(e, AppealAnswered):
            await handlers.record_answer(uow, appeal_id=e.appeal_id, submitted_at=e.submitted_at)
        elif isinstance(e, AnswerAccepted):
            await handlers.accept_answer(uow, appeal_id=e.appeal_id, answer_submitted_at=e.answer_submitted_at,
                                         now=now)
        elif isinstance(e, AppealNotRouted):
            await handlers.not_routed(uow, appeal_id=e.appeal_id)
        await uow.flush()

    # One subscription over the appeal's topics: all share the appeal-id key, so one
    # consumer sees an appeal's registration before its later events on each partition.
    runtime.consumer.subscribe(runtime.broker, TOPICS, on_appeal_events, name="appeal-events")


async def sweep(runtime: Runtime, *, interval_s: float, batch_size: int, clock: Callable[[], datetime]) -> None:
    """Fire due timers until cancelled; safe with any number of replicas."""
    while True:
        try:
            async with runtime.pool.acquire() as conn, conn.transaction():
                uow = PostgresUnitOfWork(conn)
                fired = await handlers.fire_due_timers(uow, now=clock(), limit=batch_size)
                await uow.flush()
            if fired == batch_size:
                continue
        except Exception as exc:  # noqa: BLE001 - the sweep must outlive a database restart
            if not is_transient(exc):
                log.exception("timer sweep failed")
            else:
                log.warning("timer sweep: %s; retrying", type(exc).__name__)
        await asyncio.sleep(interval_s)
