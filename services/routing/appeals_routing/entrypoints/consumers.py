"""Routing's Kafka subscriptions."""

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
from appeals_routing.adapters.events import case_of
from appeals_routing.adapters.signatures import ExecutorKeys
from appeals_routing.adapters.unit_of_work import PostgresUnitOfWork
from appeals_routing.domain.model import RegisteredAppeal
from appeals_runtime.consumer import Delivery
from appeals_runtime.service import Runtime
from appeals_runtime.telemetry import traceparent_of, within_appeal_trace


def subscribe_all(runtime: Runtime, kinds_without_executor: frozenset[str], keys: ExecutorKeys,
                  max_signed_age: timedelta) -> None:
    async def on_appeals_registered(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        appeals = [RegisteredAppeal(e.appeal_id, e.registration_number, e.kind, e.category, e.district, e.anonymous,
                                    e.reports_crime_or_threat, case=case_of(e), context=d.trace_context)
                   for d in deliveries if isinstance(e := d.event, AppealRegistered)]
        states = await handlers.route_registered(uow, appeals, kinds_without_executor=kinds_without_executor,
                                                 now=runtime.clock.now())
        new = {s.appeal_id for s in states}
        await uow.routing.remember_traces({a.appeal_id: tp for a in appeals
                                           if a.appeal_id in new and (tp := traceparent_of(a.context))})

    async def on_executor_actions(uow: PostgresUnitOfWork, delivery: Delivery) -> None:
        action = delivery.event
        appeal_trace = await uow.routing.traceparent(action.appeal_id)  # type: ignore[attr-defined]
        # The portal's action joins the appeal's trace: what it causes is part of the appeal's story.
        with within_appeal_trace(appeal_trace, "executor action", delivery.trace_context,
                                 {"appeals.subject": str(action.appeal_id)}):  # type: ignore[attr-defined]
            directory = await uow.routing.directory()
            record = delivery.record
            now = runtime.clock.now()
            not_authentic = keys.problem(action.executor_code, dict(record.headers or ()),  # type: ignore[attr-defined]
                                         record.value or b"", now=now, max_age=max_signed_age)
            await handlers.handle_action(uow, action, directory=directory, now=now,  # type: ignore[arg-type]
                                         not_authentic=not_authentic)

    async def on_malformed_action(uow: PostgresUnitOfWork, record: ConsumerRecord, reason: str) -> None:
        await handlers.refuse_malformed_action(uow, record.value, reason, now=runtime.clock.now())

    async def on_inspections(uow: PostgresUnitOfWork, delivery: Delivery) -> None:
        if isinstance(delivery.event, (AnswerAccepted, AnswerReturned)):
            await handlers.apply_verdict(uow, delivery.event)
        elif isinstance(delivery.event, (AppealMerged, AppealUnmerged)):
            await handlers.apply_merge(uow, delivery.event)

    async def on_deadlines(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        due: dict = {}
        for d in deliveries:  # in order: the last announcement of an appeal's due time wins
            if isinstance(e := d.event, DeadlineScheduled):
                due[e.appeal_id] = (e.due_at, e.policy_code)
            elif isinstance(e, DeadlineExtended):
                due[e.appeal_id] = (e.due_at, due.get(e.appeal_id, (None, None))[1])
        await handlers.record_due_times(uow, due)

    runtime.consumer.subscribe_batch(runtime.broker, "appeals.registered.v1", on_appeals_registered)
    runtime.consumer.subscribe_batch(runtime.broker, "appeals.deadlines.v1", on_deadlines)

    async def on_verdicts(uow: PostgresUnitOfWork, delivery: Delivery) -> None:
        if isinstance(delivery.event, CitizenVerdict):
            await handlers.reopen(uow, delivery.event, directory=await uow.routing.directory(),
                                  now=runtime.clock.now())

    runtime.consumer.subscribe(runtime.broker, "appeals.verdicts.v1", on_verdicts)

    async def on_links(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        await handlers.record_links(
            uow, [d.event for d in deliveries if isinstance(d.event, (DuplicateLinked, ReAppealLinked))])

    runtime.consumer.subscribe_batch(runtime.broker, "appeals.links.v1", on_links)
    runtime.consumer.subscribe(runtime.broker, "appeals.executor-actions.v1", on_executor_actions,
                               on_invalid=on_malformed_action)
    runtime.consumer.subscribe(runtime.broker, "appeals.inspections.v1", on_inspections)
