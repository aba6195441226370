"""Base class of every event payload."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Event(BaseModel):
    """An event payload: frozen, and tolerant of fields it does not know.

    Subclasses set ``event_type`` (the CloudEvents ``type``) and ``schema_version``
    (raised for additive changes; a breaking change needs an upcaster, see
    :mod:`appeals_contracts.upcasting`).
    """

    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
