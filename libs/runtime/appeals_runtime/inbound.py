"""The one inbound path: what a service reads from Kafka, as a table.

A service's ``entrypoints/consumers.py`` returns its :class:`Subscription` rows; its
``ServiceSpec.subscriptions`` hands them to the runtime, which registers each as one
consumer group (:meth:`appeals_runtime.consumer.EventConsumer.register`) and which the
AsyncAPI generator documents. A row names

- its consumer group (``<service>.<name>``, also the inbox's consumer name),
- the topics it reads,
- the event types it handles: only these are parsed; the others on those topics are
  acknowledged unread (a record that is not a well-formed event at all is still dead-lettered),
- and the handler: a batch handler (set-based, one transaction per batch), or a table of
  ``event type → route`` (:func:`each`), each route called with the event in its own trace.

Turning a contract event into a handler's command is the service's ``adapters/events.py``;
the table only says which event goes where.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRecord
from opentelemetry import context as otel_context

from appeals_contracts.base import Event
from appeals_contracts.envelope import Envelope

@dataclass(frozen=True)
class Delivery:
    """One valid event handed to a handler, with where it came from.

    ``trace_context`` is the context of this event's processing span; pass it on to the
    outbox messages the event causes so the trace continues.
    """

    envelope: Envelope
    event: Event
    topic: str
    partition: int
    offset: int
    key: str | None
    trace_context: otel_context.Context
    record: ConsumerRecord = field(repr=False, compare=False)


BatchHandler = Callable[[Any, Sequence[Delivery]], Awaitable[None]]
#: Called, in a unit of work, for each record that is about to be dead-lettered, so a
#: service can also tell the sender (e.g. routing answers a malformed executor action).
InvalidHandler = Callable[[Any, ConsumerRecord, str], Awaitable[None]]
#: A route of :func:`each`: the service's unit of work and one event of the route's type.
Route = Callable[[Any, Any], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """One consumer group of a service: ``topics`` read, ``events`` handled by ``handler``."""

    name: str
    topics: tuple[str, ...]
    events: tuple[type[Event], ...]
    handler: BatchHandler
    on_invalid: InvalidHandler | None = None

    def __post_init__(self) -> None:
        if not self.events:
            raise ValueError(f"subscription {self.name!r} handles no event type")

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(e.event_type for e in self.events)


def batch(name: str, topics: str | Sequence[str], events: Iterable[type[Event]], handler: BatchHandler, *,
          on_invalid: InvalidHandler | None = None) -> Subscription:
    """A subscription whose handler takes the batch's new events at once (set-based)."""
    return Subscription(name, _topics(topics), tuple(events), handler, on_invalid)


def each(name: str, topics: str | Sequence[str], routes: Mapping[type[Event], Route], *,
         on_invalid: InvalidHandler | None = None) -> Subscription:
    """A subscription dispatching each event by its type to ``routes``; the batch still shares
    one transaction, and each route runs in the context of its event's processing span."""
    return Subscription(name, _topics(topics), tuple(routes), dispatch(routes), on_invalid)


def dispatch(routes: Mapping[type[Event], Route]) -> BatchHandler:
    """A batch handler calling, for each delivery in order, the route of its event's type."""
    by_type = dict(routes)

    async def route(uow: Any, delivery: Delivery) -> None:
        if (handler := by_type.get(type(delivery.event))) is not None:
            await handler(uow, delivery.event)

    return one_by_one(route)


def one_by_one(handler: Callable[[Any, Delivery], Awaitable[None]]) -> BatchHandler:
    """A batch handler calling ``handler`` for each delivery in order, in its event's trace
    (for a route that needs the record itself, e.g. to check a signature over its bytes)."""

    async def handle(uow: Any, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            token = otel_context.attach(delivery.trace_context)
            try:
                await handler(uow, delivery)
            finally:
                otel_context.detach(token)

    return handle


def _topics(topics: str | Sequence[str]) -> tuple[str, ...]:
    return (topics,) if isinstance(topics, str) else tuple(topics)
