"""A written message on its way to a provider, and how a provider says no."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True)
class Message:
    """A rendered template: the subject line and the body."""

    template: str
    language: str
    subject: str
    body: str


class Renderer(Protocol):
    """Turns a template and its context into a message; raises on a missing variable."""

    def render(self, template: str, language: str, context: Mapping[str, Any], *, sms: bool = False) -> Message: ...


@dataclass(frozen=True)
class Outgoing:
    notification_id: UUID
    appeal_id: UUID
    template: str
    address: str | None
    language: str
    subject: str
    body: str
    urgent: bool


class DeliveryError(Exception):
    """The provider did not take the message. ``reason`` never holds the address or the
    text (providers echo them); ``permanent`` failures are not retried."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Sender(Protocol):
    """One delivery channel's adapter."""

    channel: str

    async def send(self, message: Outgoing) -> None: ...
