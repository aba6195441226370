"""The deadline tracker's Kafka subscription and its timer sweep."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import context as otel_context

from appeals_contracts.events import (
    AnswerAccepted,
    AppealAnswered,
    AppealAssigned,
    AppealExtensionRequested,
    AppealMerged,
    AppealNotRouted,
    AppealRegistered,
    AppealReopened,
    AppealUnmerged,
    NotificationDelivered,
)
from appeals_deadlines import handlers
from appeals_deadlines.adapters.unit_of_work import PostgresUnitOfWork
from appeals_deadlines.domain.calendar import WorkingCalendar
from appeals_deadlines.domain.policies import Regime
from appeals_runtime.consumer import Delivery
from appeals_runtime.service import Runtime

TOPICS = ("appeals.registered.v1", "appeals.assigned.v1", "appeals.answered.v1",
          "appeals.extension-requested.v1", "appeals.inspections.v1", "notifications.delivery.v1")


def subscribe_all(runtime: Runtime, regime: Regime, calendar: WorkingCalendar, families: dict[str, str]) -> None:
    async def on_appeal_events(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        """A batch in its order: each run of registrations scheduled at once (three statements
        whatever its length), every other event where it stands, in its own trace."""
        run: list[handlers.Registration] = []
        for delivery in deliveries:
            e = delivery.event
            if isinstance(e, AppealRegistered):
                run.append(handlers.Registration(e.appeal_id, families[e.channel], e.registered_at,
                                                 delivery.trace_context))
                continue
            await handlers.schedule_all(uow, run, regime=regime, calendar=calendar, now=runtime.clock.now())
            run = []
            token = otel_context.attach(delivery.trace_context)
            try:
                await on_event(uow, e)
            finally:
                otel_context.detach(token)
        await handlers.schedule_all(uow, run, regime=regime, calendar=calendar, now=runtime.clock.now())

    async def on_event(uow: PostgresUnitOfWork, e: object) -> None:
        now = runtime.clock.now()
        if isinstance(e, AppealExtensionRequested):
            await handlers.request_extension(uow, appeal_id=e.appeal_id, reason=e.reason,
                                             requested_at=e.asked_at, regime=regime, calendar=calendar, now=now)
        elif isinstance(e, AppealAnswered):
            await handlers.record_answer(uow, appeal_id=e.appeal_id, submitted_at=e.answered_at, now=now)
        elif isinstance(e, AnswerAccepted):
            await handlers.accept_answer(uow, appeal_id=e.appeal_id, answer_submitted_at=e.answer_submitted_at,
                                         now=now)
        elif isinstance(e, AppealNotRouted):
            await handlers.not_routed(uow, appeal_id=e.appeal_id)
        elif isinstance(e, AppealAssigned) and e.reason == "reassignment" and e.previous_executor_code:
            await handlers.record_forwarding(uow, appeal_id=e.appeal_id, forwarded_at=e.assigned_at,
                                             from_executor=e.previous_executor_code, to_executor=e.executor_code,
                                             now=now)
        elif isinstance(e, AppealMerged):
            await handlers.stop_merged(uow, appeal_id=e.appeal_id, now=now)
        elif isinstance(e, AppealUnmerged):
            await handlers.resume_unmerged(uow, appeal_id=e.appeal_id, regime=regime, calendar=calendar, now=now)
        elif isinstance(e, AppealReopened):
            await handlers.reopen(uow, appeal_id=e.appeal_id, reopened_at=e.reopened_at, regime=regime,
                                  calendar=calendar, now=now)
        elif isinstance(e, NotificationDelivered):
            await handlers.record_notice_delivery(uow, appeal_id=e.appeal_id, template=e.template,
                                                  delivered_at=e.delivered_at, now=now)

    # One subscription over the appeal's topics (all keyed by appeal id). Kafka orders nothing
    # across topics, so an appeal's later events may come before its registration: the
    # handlers keep them until the deadline is scheduled.
    runtime.consumer.subscribe_batch(runtime.broker, TOPICS, on_appeal_events, name="appeal-events")


async def sweep(runtime: Runtime, *, batch_size: int) -> bool:
    """Fire one batch of due timers; True when a full batch suggests more are due. Safe with
    any number of replicas (claimed rows are skipped by the others)."""
    async with runtime.unit_of_work() as uow:
        fired = await handlers.fire_due_timers(uow, now=runtime.clock.now(), limit=batch_size)
    return fired == batch_size
