"""Event type name → payload model."""

from __future__ import annotations

from appeals_contracts import events
from appeals_contracts.base import Event


class UnknownEventType(LookupError):
    """An envelope names an event type this version of the contracts does not define."""


EVENT_TYPES: dict[str, type[Event]] = {
    model.event_type: model
    for model in (getattr(events, name) for name in events.__all__)
    if isinstance(model, type) and issubclass(model, Event)
}


def event_model(event_type: str) -> type[Event]:
    """The model of ``event_type``; raises :class:`UnknownEventType`."""
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r}") from None
