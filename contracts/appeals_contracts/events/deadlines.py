"""Events of the deadline tracker."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from appeals_contracts.base import Event


class DeadlineScheduled(Event):
    """The legal due time of an appeal was computed."""

    event_type: ClassVar[str] = "deadline.scheduled"

    appeal_id: UUID
    policy_code: str = Field(description="Deadline policy that applies, e.g. seed.calendar_15")
    regime: str = Field(description="Legal regime in force, e.g. seed or appc_2021")
    due_at: AwareDatetime = Field(description="Absolute UTC instant of the end of the last day")
    reminders_at: tuple[AwareDatetime, ...] = ()
    scheduled_at: AwareDatetime
    counted_from: date | None = Field(None, description="The Almaty date the appeal counts as registered on for its "
                                      "deadline: the registration date, or under appc_2021 (Art. 64) the next "
                                      "working day when it came after working hours or on a day off")
    forwarding_due_at: AwareDatetime | None = Field(None, description="By when an appeal outside the executor's "
                                                    "competence must be forwarded (appc_2021: 3 working days)")
    reopened: bool = Field(False, description="A new due time after the citizen reopened the appeal (the regime's "
                                              "reopened policy, counted from the reopening)")
    resumed: bool = Field(False, description="The same due time again after a merge was undone")


class DeadlineExtended(Event):
    """An extension was granted; the citizen must be told."""

    event_type: ClassVar[str] = "deadline.extended"

    appeal_id: UUID
    previous_due_at: AwareDatetime
    due_at: AwareDatetime
    reason: str
    extended_at: AwareDatetime
    notice_due_at: AwareDatetime | None = Field(None, description="By when the applicant must be told of the "
                                                "extension (appc_2021: 3 working days)")


class DeadlineExtensionRefused(Event):
    """An extension request was refused."""

    event_type: ClassVar[str] = "deadline.extension_refused"

    appeal_id: UUID
    due_at: AwareDatetime
    reason: str
    refused_at: AwareDatetime


class DeadlineApproaching(Event):
    """A reminder before the due time."""

    event_type: ClassVar[str] = "deadline.approaching"

    appeal_id: UUID
    due_at: AwareDatetime
    remind_at: AwareDatetime


class DeadlineBreached(Event):
    """The due time passed with no accepted answer. Fires once per appeal and due time."""

    event_type: ClassVar[str] = "deadline.breached"

    appeal_id: UUID
    due_at: AwareDatetime
    breached_at: AwareDatetime


class DeadlineClosed(Event):
    """The accepted answer stopped the clock."""

    event_type: ClassVar[str] = "deadline.closed"

    appeal_id: UUID
    due_at: AwareDatetime
    answered_at: AwareDatetime = Field(description="When the finally accepted answer was submitted")
    on_time: bool
    closed_at: AwareDatetime


class DeadlineForwardingBreached(Event):
    """An appeal was forwarded to another executor after the forwarding time limit (appc_2021:
    3 working days from registration). Reported once per late reassignment."""

    event_type: ClassVar[str] = "deadline.forwarding_breached"

    appeal_id: UUID
    forwarding_due_at: AwareDatetime
    forwarded_at: AwareDatetime
    from_executor_code: str = Field(description="The executor that held the appeal too long")
    to_executor_code: str
    reported_at: AwareDatetime


class DeadlineExtensionNoticeLate(Event):
    """The applicant was not told of an extension within the time limit: either nothing was
    delivered by then (``delivered_at`` absent), or the notice was delivered after it."""

    event_type: ClassVar[str] = "deadline.extension_notice_late"

    appeal_id: UUID
    notice_due_at: AwareDatetime
    delivered_at: AwareDatetime | None = None
    reported_at: AwareDatetime


class DeadlineStopped(Event):
    """The clock stopped without an answer of the appeal's own: it was merged into another
    appeal (not counted as late). An unmerge resumes it (``deadline.scheduled`` with ``resumed``)."""

    event_type: ClassVar[str] = "deadline.stopped"

    appeal_id: UUID
    due_at: AwareDatetime
    reason: Literal["merged"]
    stopped_at: AwareDatetime
