"""Outbound replies for channel adapters and delivery results."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from appeals_contracts.base import Event


class OutboundNotification(Event):
    """A message for the channel adapter to post in the citizen's own channel."""

    event_type: ClassVar[str] = "notification.outbound"

    notification_id: UUID
    appeal_id: UUID
    channel: str
    social_network: str | None = None
    channel_message_id: str = Field(description="The message this replies to")
    language: str
    template: str
    text: str
    created_at: AwareDatetime


class NotificationDelivered(Event):
    """A message reached its provider."""

    event_type: ClassVar[str] = "notification.delivered"

    notification_id: UUID
    appeal_id: UUID
    delivery_channel: str = Field(description="email, sms or outbound")
    template: str
    attempts: int
    delivered_at: AwareDatetime


class NotificationDeliveryFailed(Event):
    """A message could not be delivered after the last attempt."""

    event_type: ClassVar[str] = "notification.delivery_failed"

    notification_id: UUID
    appeal_id: UUID
    delivery_channel: str
    template: str
    attempts: int
    reason: str
    failed_at: AwareDatetime
