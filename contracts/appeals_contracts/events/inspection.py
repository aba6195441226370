"""Inspectors' verdicts on executors' answers."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from appeals_contracts.base import Event


class AnswerAccepted(Event):
    """An inspector accepted the answer; it goes to the citizen."""

    event_type: ClassVar[str] = "inspection.answer_accepted"

    appeal_id: UUID
    answer_id: UUID
    executor_code: str
    employee_id: str
    inspector_id: str
    answer_text: str
    answer_language: str
    answer_submitted_at: AwareDatetime = Field(description="When the platform received the answer (routing's "
                                               "clock): what the deadline tracker judges timeliness by")
    decided_at: AwareDatetime


class AnswerReturned(Event):
    """An inspector returned the answer for rework; the clock keeps running."""

    event_type: ClassVar[str] = "inspection.answer_returned"

    appeal_id: UUID
    answer_id: UUID
    executor_code: str
    employee_id: str
    inspector_id: str
    reason_code: str = Field(description="From the configured list, e.g. formal_reply")
    comment: str = ""
    decided_at: AwareDatetime


class AppealMerged(Event):
    """An inspector or the executor holding both merged a duplicate into its original: the
    duplicate is closed as merged (its deadline stops, not counted as late) and its citizen will
    receive the original's answer."""

    event_type: ClassVar[str] = "inspection.appeal_merged"

    appeal_id: UUID = Field(description="The duplicate")
    into_appeal_id: UUID
    into_registration_number: str
    decided_by: str = Field(description="The inspector's or employee's subject (the audit trail has it too)")
    role: Literal["inspector", "executor"]
    merged_at: AwareDatetime


class AppealUnmerged(Event):
    """A merge undone before the original was answered: the appeal is open again, its
    deadline running from where it stopped."""

    event_type: ClassVar[str] = "inspection.appeal_unmerged"

    appeal_id: UUID
    from_appeal_id: UUID
    decided_by: str
    role: Literal["inspector", "executor"]
    unmerged_at: AwareDatetime


class AnswerShared(Event):
    """The original's accepted answer, for the citizen of a duplicate merged into it."""

    event_type: ClassVar[str] = "inspection.answer_shared"

    appeal_id: UUID = Field(description="The merged duplicate")
    original_appeal_id: UUID
    original_registration_number: str
    answer_id: UUID
    executor_code: str
    answer_text: str
    answer_language: str
    decided_at: AwareDatetime
