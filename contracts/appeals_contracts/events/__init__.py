"""Event payload models, one module per producing service."""

from appeals_contracts.events.deadlines import (
    DeadlineApproaching,
    DeadlineBreached,
    DeadlineClosed,
    DeadlineExtended,
    DeadlineExtensionNoticeLate,
    DeadlineExtensionRefused,
    DeadlineForwardingBreached,
    DeadlineScheduled,
)
from appeals_contracts.events.inspection import AnswerAccepted, AnswerReturned
from appeals_contracts.events.intake import (
    AppealIntakeRejected,
    AppealRegistered,
    AppealSubmitted,
    AttachmentRef,
    CitizenContact,
    Location,
    RejectionReason,
)
from appeals_contracts.events.notification import (
    NotificationDelivered,
    NotificationDeliveryFailed,
    OutboundNotification,
)
from appeals_contracts.events.routing import (
    AppealAnswered,
    AppealAssigned,
    AppealCase,
    AppealExtensionRequested,
    AppealNotRouted,
    ExecutorActionRejected,
    ExecutorAnswerSubmitted,
    ExecutorExtensionRequested,
    ExecutorReassignmentRequested,
)

__all__ = [
    "AnswerAccepted",
    "AnswerReturned",
    "AppealAnswered",
    "AppealAssigned",
    "AppealCase",
    "AppealExtensionRequested",
    "AppealIntakeRejected",
    "AppealNotRouted",
    "AppealRegistered",
    "AppealSubmitted",
    "AttachmentRef",
    "CitizenContact",
    "DeadlineApproaching",
    "DeadlineBreached",
    "DeadlineClosed",
    "DeadlineExtended",
    "DeadlineExtensionNoticeLate",
    "DeadlineExtensionRefused",
    "DeadlineForwardingBreached",
    "DeadlineScheduled",
    "ExecutorActionRejected",
    "ExecutorAnswerSubmitted",
    "ExecutorExtensionRequested",
    "ExecutorReassignmentRequested",
    "Location",
    "NotificationDelivered",
    "NotificationDeliveryFailed",
    "OutboundNotification",
    "RejectionReason",
]
