"""Inspectors' verdicts on executors' answers."""

from __future__ import annotations

from typing import ClassVar
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
    answer_submitted_at: AwareDatetime
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
