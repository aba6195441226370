"""Routing's inbound table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from aiokafka import ConsumerRecord

from appeals_contracts.events import (
    AnswerAccepted,
    AnswerReturned,
    AppealMerged,
    AppealRegistered,
    AppealUnmerged,
    CitizenVerdict,
    DeadlineExtended,
    DeadlineScheduled,
    DuplicateLinked,
    ReAppealLinked,
)
from appeals_routing import handlers
from appeals_routing.adapters.events import EXECUTOR_ACTIONS, due_times, registered_appeal
from appeals_routing.adapters.signatures import ExecutorKeys
from appeals_routing.adapters.unit_of_work import PostgresUnitOfWork
from appeals_runtime.inbound import Delivery
from appeals_runtime.inbound import Subscription, batch, each, one_by_one
from appeals_runtime.telemetry import within_appeal_trace


def subscriptions(kinds_without_executor: frozenset[str], keys: ExecutorKeys,
                  max_signed_age: timedelta) -> list[Subscription]:
    """Routing's inbound table: one consumer group per topic, since each topic's events come
    from one service and mean one thing here."""

    async def on_appeals_registered(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        appeals = [registered_appeal(e, d.trace_context) for d in deliveries if isinstance(e := d.event, AppealRegistered)]
        states = await handlers.route_registered(uow, appeals, kinds_without_executor=kinds_without_executor,
                                                 now=uow.clock.now())
        new = {s.appeal_id for s in states}
        await uow.keep_traces({e.appeal_id: d.trace_context for d in deliveries
                               if isinstance(e := d.event, AppealRegistered) and e.appeal_id in new})

    async def on_executor_action(uow: PostgresUnitOfWork, delivery: Delivery) -> None:
        action = delivery.event
        assert isinstance(action, EXECUTOR_ACTIONS)  # the only types this subscription parses
        appeal_trace = await uow.kept_trace(action.appeal_id)
        # The portal's action joins the appeal's trace: what it causes is part of the appeal's story.
        with within_appeal_trace(appeal_trace, "executor action", delivery.trace_context,
                                 {"appeals.subject": str(action.appeal_id)}):
            directory = await uow.routing.directory()
            record = delivery.record
            now = uow.clock.now()
            not_authentic = keys.problem(action.executor_code, dict(record.headers or ()), record.value or b"",
                                         now=now, max_age=max_signed_age)
            await handlers.handle_action(uow, action, directory=directory, now=now, not_authentic=not_authentic)

    async def on_malformed_action(uow: PostgresUnitOfWork, record: ConsumerRecord, reason: str) -> None:
        await handlers.refuse_malformed_action(uow, record.value, reason, now=uow.clock.now())

    async def on_deadlines(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        await handlers.record_due_times(uow, due_times([d.event for d in deliveries]))

    async def on_links(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        await handlers.record_links(
            uow, [d.event for d in deliveries if isinstance(d.event, (DuplicateLinked, ReAppealLinked))])

    async def reopen(uow: PostgresUnitOfWork, verdict: CitizenVerdict) -> None:
        await handlers.reopen(uow, verdict, directory=await uow.routing.directory(), now=uow.clock.now())

    return [
        batch("appeals.registered.v1", "appeals.registered.v1", (AppealRegistered,), on_appeals_registered),
        batch("appeals.deadlines.v1", "appeals.deadlines.v1", (DeadlineScheduled, DeadlineExtended), on_deadlines),
        each("appeals.verdicts.v1", "appeals.verdicts.v1", {CitizenVerdict: reopen}),
        batch("appeals.links.v1", "appeals.links.v1", (DuplicateLinked, ReAppealLinked), on_links),
        batch("appeals.executor-actions.v1", "appeals.executor-actions.v1", EXECUTOR_ACTIONS,
              one_by_one(on_executor_action), on_invalid=on_malformed_action),
        each("appeals.inspections.v1", "appeals.inspections.v1",
             {AnswerAccepted: handlers.apply_verdict, AnswerReturned: handlers.apply_verdict,
              AppealMerged: handlers.apply_merge, AppealUnmerged: handlers.apply_merge}),
    ]
