"""Events of the deadline tracker."""

from __future__ import annotations

from typing import ClassVar
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


class DeadlineExtended(Event):
    """An extension was granted; the citizen must be told."""

    event_type: ClassVar[str] = "deadline.extended"

    appeal_id: UUID
    previous_due_at: AwareDatetime
    due_at: AwareDatetime
    reason: str
    extended_at: AwareDatetime


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
