"""Notification's announcements as contract events."""

from __future__ import annotations

from datetime import datetime

from appeals_contracts.events import NotificationDelivered, NotificationDeliveryFailed, OutboundNotification
from appeals_notification.domain.ledger import LedgerRow
from appeals_notification.domain.messages import AppealFacts


def outbound(row: LedgerRow, appeal: AppealFacts, at: datetime) -> OutboundNotification:
    return OutboundNotification(
        notification_id=row.notification_id, appeal_id=row.appeal_id, channel=appeal.channel or "",
        social_network=appeal.social_network, channel_message_id=appeal.channel_message_id or "",
        language=row.language or "", template=row.template, text=f"{row.subject}\n\n{row.body}", created_at=at)


def delivered(row: LedgerRow, channel: str, attempts: int, at: datetime) -> NotificationDelivered:
    return NotificationDelivered(notification_id=row.notification_id, appeal_id=row.appeal_id,
                                 delivery_channel=channel, template=row.template, attempts=attempts, delivered_at=at)


def delivery_failed(row: LedgerRow, channel: str, attempts: int, reason: str, at: datetime) -> NotificationDeliveryFailed:
    return NotificationDeliveryFailed(notification_id=row.notification_id, appeal_id=row.appeal_id,
                                      delivery_channel=channel, template=row.template, attempts=attempts,
                                      reason=reason, failed_at=at)
