"""The delivery ledger's entries: a notice an event asks for, and a message on its way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from appeals_notification.domain.messages import Route


@dataclass(frozen=True)
class NoticeRow:
    """A ledger row before it is written: what the event asks for."""

    notification_id: UUID
    source_event_id: UUID
    source_type: str
    appeal_id: UUID
    audience: str
    template: str
    urgent: bool
    facts: dict[str, Any]


@dataclass(frozen=True)
class LedgerRow:
    notification_id: UUID
    appeal_id: UUID
    audience: str
    template: str
    urgent: bool
    facts: dict[str, Any]
    recipient: str | None
    delivery_channel: str | None
    address: str | None
    language: str | None
    subject: str | None
    body: str | None
    attempts: int


@dataclass(frozen=True)
class Attempt:
    """One attempt's outcome: ``delivered`` and ``failed`` are final, ``retry`` waits until
    ``next_attempt_at``, ``in_doubt`` is final and unknown (docs/notifications.md)."""

    notification_id: UUID
    attempt: int
    outcome: str
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class Written:
    """A notice rendered: where it goes, what it says, and when it may be sent."""

    notification_id: UUID
    route: Route
    subject: str
    body: str
    send_at: datetime
