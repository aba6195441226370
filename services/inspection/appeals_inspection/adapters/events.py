"""Inspection's announcements as contract events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from appeals_contracts.events import AnswerAccepted, AnswerReturned
from appeals_inspection.domain.review import Verdict


def verdict(answer: dict[str, Any], verdict: Verdict, at: datetime) -> AnswerAccepted | AnswerReturned:
    """The inspector's verdict on ``answer`` (a row of the review queue)."""
    common = dict(appeal_id=answer["appeal_id"], answer_id=answer["answer_id"], executor_code=answer["executor_code"],
                  employee_id=answer["employee_id"], inspector_id=verdict.inspector_id, decided_at=at)
    if verdict.accept:
        return AnswerAccepted(**common, answer_text=answer["text"], answer_language=answer["language"],
                              answer_submitted_at=answer["submitted_at"])
    return AnswerReturned(**common, reason_code=verdict.reason_code or "", comment=verdict.comment)
