"""Inspection's Kafka subscription: one over the appeal's topics (few consumer-group joins)."""

from __future__ import annotations

from appeals_contracts.events import AppealAnswered
from appeals_inspection import handlers
from appeals_inspection.adapters.unit_of_work import PostgresUnitOfWork
from appeals_runtime.consumer import Delivery
from appeals_runtime.service import Runtime
from appeals_runtime.telemetry import traceparent_of

TOPICS = ("appeals.registered.v1", "appeals.assigned.v1", "appeals.answered.v1", "appeals.deadlines.v1")


def subscribe_all(runtime: Runtime) -> None:
    async def on_appeal_events(uow: PostgresUnitOfWork, delivery: Delivery) -> None:
        if not hasattr(delivery.event, "appeal_id"):
            return
        await handlers.on_event(uow, delivery.envelope, delivery.event)
        if isinstance(delivery.event, AppealAnswered) and (traceparent := traceparent_of(delivery.trace_context)):
            await uow.model.remember_trace(delivery.event.answer_id, traceparent)  # a verdict continues it

    runtime.consumer.subscribe(runtime.broker, TOPICS, on_appeal_events, name="appeal-events")
