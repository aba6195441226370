"""Inspection's announcements as contract events."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from appeals_contracts.events import AnswerAccepted, AnswerReturned, AnswerShared, AppealMerged, AppealUnmerged
from appeals_inspection.domain.review import ReviewedAnswer, Verdict
from appeals_inspection.handlers.ports import Decider


def verdict(answer: ReviewedAnswer, verdict: Verdict, at: datetime) -> AnswerAccepted | AnswerReturned:
    """The inspector's verdict on ``answer``."""
    if verdict.accept:
        return AnswerAccepted(appeal_id=answer.appeal_id, answer_id=answer.answer_id,
                              executor_code=answer.executor_code, employee_id=answer.employee_id,
                              inspector_id=verdict.inspector_id, decided_at=at, answer_text=answer.text,
                              answer_language=answer.language, answer_submitted_at=answer.submitted_at)
    return AnswerReturned(appeal_id=answer.appeal_id, answer_id=answer.answer_id, executor_code=answer.executor_code,
                          employee_id=answer.employee_id, inspector_id=verdict.inspector_id, decided_at=at,
                          reason_code=verdict.reason_code or "", comment=verdict.comment)


def merged(duplicate_id: UUID, into_id: UUID, into_number: str, by: Decider, at: datetime) -> AppealMerged:
    return AppealMerged(appeal_id=duplicate_id, into_appeal_id=into_id, into_registration_number=into_number, decided_by=by.subject, role=by.role,
                        merged_at=at)


def unmerged(duplicate_id: UUID, from_id: UUID, by: Decider, at: datetime) -> AppealUnmerged:
    return AppealUnmerged(appeal_id=duplicate_id, from_appeal_id=from_id, decided_by=by.subject, role=by.role,
                          unmerged_at=at)


def shared(duplicate_id: UUID, answer: ReviewedAnswer, original_number: str, at: datetime) -> AnswerShared:
    return AnswerShared(appeal_id=duplicate_id, original_appeal_id=answer.appeal_id,
                        original_registration_number=original_number, answer_id=answer.answer_id,
                        executor_code=answer.executor_code, answer_text=answer.text, answer_language=answer.language,
                        decided_at=at)
