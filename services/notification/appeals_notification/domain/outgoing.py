"""A written message on its way to a provider, and how a provider says no."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


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
