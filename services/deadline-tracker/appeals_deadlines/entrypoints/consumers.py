"""The deadline tracker's inbound table and its timer sweep."""

from __future__ import annotations

from collections.abc import Sequence

from datetime import datetime

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
from appeals_contracts.base import Event
from appeals_deadlines import handlers
from appeals_deadlines.adapters.events import registration
from appeals_deadlines.adapters.unit_of_work import PostgresUnitOfWork
from appeals_deadlines.domain.calendar import WorkingCalendar
from appeals_deadlines.domain.policies import Regime
from appeals_runtime.inbound import Delivery
from appeals_runtime.inbound import Route, Subscription, batch, dispatch
from appeals_runtime.service import Runtime

TOPICS = ("appeals.registered.v1", "appeals.assigned.v1", "appeals.answered.v1",
          "appeals.extension-requested.v1", "appeals.inspections.v1", "notifications.delivery.v1")


def subscriptions(regime: Regime, calendar: WorkingCalendar, families: dict[str, str]) -> list[Subscription]:
    """The deadline tracker's inbound table: one subscription over the appeal's topics (all
    keyed by appeal id). Kafka orders nothing across topics, so an appeal's later events may
    come before its registration: the handlers keep them until the deadline is scheduled."""

    def now(uow: PostgresUnitOfWork) -> datetime:
        return uow.clock.now()

    async def forwarded(uow: PostgresUnitOfWork, e: AppealAssigned) -> None:
        if e.reason == "reassignment" and e.previous_executor_code:
            await handlers.record_forwarding(uow, appeal_id=e.appeal_id, forwarded_at=e.assigned_at,
                                             from_executor=e.previous_executor_code, to_executor=e.executor_code,
                                             now=now(uow))

    routes: dict[type[Event], Route] = {
        AppealExtensionRequested: lambda uow, e: handlers.request_extension(
            uow, appeal_id=e.appeal_id, reason=e.reason, requested_at=e.asked_at, regime=regime, calendar=calendar,
            now=now(uow)),
        AppealAnswered: lambda uow, e: handlers.record_answer(uow, appeal_id=e.appeal_id, submitted_at=e.answered_at,
                                                             now=now(uow)),
        AnswerAccepted: lambda uow, e: handlers.accept_answer(uow, appeal_id=e.appeal_id,
                                                             answer_submitted_at=e.answer_submitted_at, now=now(uow)),
        AppealNotRouted: lambda uow, e: handlers.not_routed(uow, appeal_id=e.appeal_id),
        AppealAssigned: forwarded,
        AppealMerged: lambda uow, e: handlers.stop_merged(uow, appeal_id=e.appeal_id, now=now(uow)),
        AppealUnmerged: lambda uow, e: handlers.resume_unmerged(uow, appeal_id=e.appeal_id, regime=regime,
                                                               calendar=calendar, now=now(uow)),
        AppealReopened: lambda uow, e: handlers.reopen(uow, appeal_id=e.appeal_id, reopened_at=e.reopened_at,
                                                      regime=regime, calendar=calendar, now=now(uow)),
        NotificationDelivered: lambda uow, e: handlers.record_notice_delivery(
            uow, appeal_id=e.appeal_id, template=e.template, delivered_at=e.delivered_at, now=now(uow)),
    }
    one_at_a_time = dispatch(routes)

    async def on_appeal_events(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        """A batch in its order: each run of registrations scheduled at once (three statements
        whatever its length), every other event where it stands, in its own trace."""
        run: list[handlers.Registration] = []
        for delivery in deliveries:
            if isinstance(e := delivery.event, AppealRegistered):
                run.append(registration(e, families, delivery.trace_context))
                continue
            await handlers.schedule_all(uow, run, regime=regime, calendar=calendar, now=now(uow))
            run = []
            await one_at_a_time(uow, [delivery])
        await handlers.schedule_all(uow, run, regime=regime, calendar=calendar, now=now(uow))

    return [batch("appeal-events", TOPICS, (AppealRegistered, *routes), on_appeal_events)]


async def sweep(runtime: Runtime[PostgresUnitOfWork], *, batch_size: int) -> bool:
    """Fire one batch of due timers; True when a full batch suggests more are due. Safe with
    any number of replicas (claimed rows are skipped by the others)."""
    async with runtime.unit_of_work() as uow:
        fired = await handlers.fire_due_timers(uow, now=runtime.clock.now(), limit=batch_size)
    return fired == batch_size
