"""Contract events to the deadline tracker's commands, and its announcements as contract events."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from opentelemetry.context import Context

from appeals_contracts.events import (
    AppealRegistered,
    DeadlineApproaching,
    DeadlineBreached,
    DeadlineClosed,
    DeadlineExtended,
    DeadlineExtensionNoticeLate,
    DeadlineExtensionRefused,
    DeadlineForwardingBreached,
    DeadlineScheduled,
    DeadlineStopped,
)
from appeals_deadlines.domain.model import Deadline, Timer
from appeals_deadlines.handlers import Registration


def registration(event: AppealRegistered, families: dict[str, str], context: Context | None) -> Registration:
    """A registered appeal to schedule by its channel's deadline family, announced in ``context``."""
    return Registration(event.appeal_id, families[event.channel], event.registered_at, context)


def scheduled(deadline: Deadline, reminders: tuple[datetime, ...], at: datetime, *,
              reopened: bool = False, resumed: bool = False) -> DeadlineScheduled:
    return DeadlineScheduled(appeal_id=deadline.appeal_id, policy_code=deadline.policy_code, regime=deadline.regime,
                             due_at=deadline.due_at, reminders_at=reminders, scheduled_at=at,
                             counted_from=deadline.counted_from, forwarding_due_at=deadline.forwarding_due_at,
                             reopened=reopened, resumed=resumed)


def stopped(deadline: Deadline, reason: str, at: datetime) -> DeadlineStopped:
    return DeadlineStopped(appeal_id=deadline.appeal_id, due_at=deadline.due_at, reason=reason, stopped_at=at)


def extension_refused(appeal_id: UUID, due_at: datetime, reason: str, at: datetime) -> DeadlineExtensionRefused:
    return DeadlineExtensionRefused(appeal_id=appeal_id, due_at=due_at, reason=reason, refused_at=at)


def extended(deadline: Deadline, new_due: datetime, reason: str, at: datetime,
             notice_due: datetime | None = None) -> DeadlineExtended:
    return DeadlineExtended(appeal_id=deadline.appeal_id, previous_due_at=deadline.due_at, due_at=new_due,
                            reason=reason, extended_at=at, notice_due_at=notice_due)


def forwarding_breached(deadline: Deadline, forwarded_at: datetime, from_executor: str, to_executor: str,
                        at: datetime) -> DeadlineForwardingBreached:
    assert deadline.forwarding_due_at is not None
    return DeadlineForwardingBreached(appeal_id=deadline.appeal_id, forwarding_due_at=deadline.forwarding_due_at,
                                      forwarded_at=forwarded_at, from_executor_code=from_executor,
                                      to_executor_code=to_executor, reported_at=at)


def notice_late(deadline: Deadline, delivered_at: datetime | None, at: datetime) -> DeadlineExtensionNoticeLate:
    assert deadline.notice_due_at is not None
    return DeadlineExtensionNoticeLate(appeal_id=deadline.appeal_id, notice_due_at=deadline.notice_due_at,
                                       delivered_at=delivered_at, reported_at=at)


def closed(deadline: Deadline, answered_at: datetime, on_time: bool, at: datetime) -> DeadlineClosed:
    return DeadlineClosed(appeal_id=deadline.appeal_id, due_at=deadline.due_at, answered_at=answered_at,
                          on_time=on_time, closed_at=at)


def fired(timer: Timer, at: datetime) -> DeadlineBreached | DeadlineApproaching:
    if timer.kind == "breach":
        return DeadlineBreached(appeal_id=timer.appeal_id, due_at=timer.due_at, breached_at=at)
    return DeadlineApproaching(appeal_id=timer.appeal_id, due_at=timer.due_at, remind_at=timer.fire_at)
