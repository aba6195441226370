"""Inspection's inbound table."""

from __future__ import annotations

from collections.abc import Sequence

from appeals_contracts.events import AppealAnswered
from appeals_inspection import handlers
from appeals_inspection.adapters.unit_of_work import PostgresUnitOfWork
from appeals_runtime.inbound import Delivery
from appeals_runtime.inbound import batch

TOPICS = ("appeals.registered.v1", "appeals.assigned.v1", "appeals.answered.v1", "appeals.deadlines.v1",
          "appeals.verdicts.v1", "appeals.links.v1")


async def on_appeal_events(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
    """A batch at once: runs of fact events set-based (handlers.on_events)."""
    await handlers.on_events(uow, [(d.envelope, d.event) for d in deliveries])
    # An inspector's verdict on an answer continues the trace the answer came in.
    await uow.keep_traces({d.event.answer_id: d.trace_context for d in deliveries if isinstance(d.event, AppealAnswered)})


#: Inspection's inbound table: one subscription over the appeal's topics (few consumer-group joins).
SUBSCRIPTIONS = [batch("appeal-events", TOPICS, handlers.HANDLED, on_appeal_events)]
