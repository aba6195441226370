"""Routing's Kafka subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
from aiokafka import ConsumerRecord

from appeals_contracts.events import AnswerAccepted, AnswerReturned, AppealRegistered
from appeals_routing import handlers
from appeals_routing.adapters import events
from appeals_routing.adapters.unit_of_work import PostgresUnitOfWork
from appeals_routing.domain.model import RegisteredAppeal
from appeals_runtime.consumer import Delivery
from appeals_runtime.service import Runtime
from appeals_runtime.telemetry import traceparent_of, within_appeal_trace


def subscribe_all(runtime: Runtime, kinds_without_executor: frozenset[str]) -> None:
    async def on_appeals_registered(conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
        uow = PostgresUnitOfWork(conn)
        appeals = [RegisteredAppeal(e.appeal_id, e.registration_number, e.kind, e.category, e.district, e.anonymous,
                                    e.reports_crime_or_threat, context=d.trace_context)
                   for d in deliveries if isinstance(e := d.event, AppealRegistered)]
        states = await handlers.route_registered(uow, appeals, kinds_without_executor=kinds_without_executor,
                                                 now=datetime.now(UTC))
        new = {s.appeal_id for s in states}
        await uow.routing.remember_traces({a.appeal_id: tp for a in appeals
                                           if a.appeal_id in new and (tp := traceparent_of(a.context))})
        await uow.flush()

    async def on_executor_actions(conn: asyncpg.Connection, delivery: Delivery) -> None:
        action = delivery.event
        appeal_trace = await PostgresUnitOfWork(conn).routing.traceparent(action.appeal_id)  # type: ignore[attr-defined]
        # The portal's action joins the appeal's trace: what it causes is part of the appeal's story.
        with within_appeal_trace(appeal_trace, "executor action", delivery.trace_context,
                                 {"appeals.subject": str(action.appeal_id)}) as context:  # type: ignore[attr-defined]
            uow = PostgresUnitOfWork(conn, context)
            directory = await uow.routing.directory()
            await handlers.handle_action(uow, action, directory=directory, now=datetime.now(UTC))  # type: ignore[arg-type]
            await uow.flush()

    async def on_malformed_action(conn: asyncpg.Connection, record: ConsumerRecord, reason: str) -> None:
        """A portal sent something that is not a valid action: if it names an action id, tell
        the portal why on the rejection topic (the record also goes to the dead-letter topic)."""
        fields = handlers.action_identity(record.value)
        if fields is None:
            return
        uow = PostgresUnitOfWork(conn)
        uow.announce(events.action_rejected(*fields, f"malformed action: {reason}", datetime.now(UTC)))
        await uow.flush()

    async def on_inspections(conn: asyncpg.Connection, delivery: Delivery) -> None:
        if isinstance(delivery.event, (AnswerAccepted, AnswerReturned)):
            await handlers.apply_verdict(PostgresUnitOfWork(conn, delivery.trace_context), delivery.event)

    runtime.consumer.subscribe_batch(runtime.broker, "appeals.registered.v1", on_appeals_registered)
    runtime.consumer.subscribe(runtime.broker, "appeals.executor-actions.v1", on_executor_actions,
                               on_invalid=on_malformed_action)
    runtime.consumer.subscribe(runtime.broker, "appeals.inspections.v1", on_inspections)
