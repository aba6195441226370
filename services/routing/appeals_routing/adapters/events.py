"""Routing's announcements as contract envelopes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from appeals_contracts.events import (
    AppealAnswered,
    AppealAssigned,
    AppealExtensionRequested,
    AppealNotRouted,
    ExecutorActionRejected,
    ExecutorAnswerSubmitted,
    ExecutorExtensionRequested,
)
from appeals_routing.domain.model import AppealState, Assignment

def assigned(state: AppealState, entry: Assignment) -> AppealAssigned:
    return AppealAssigned(
        appeal_id=state.appeal_id, registration_number=state.registration_number, executor_code=entry.executor,
        previous_executor_code=entry.previous_executor, reason=entry.reason, rule_id=entry.rule_id,
        category=state.category, district=state.district, assigned_at=entry.assigned_at)


def not_routed(state: AppealState, reason: str, at: datetime) -> AppealNotRouted:
    return AppealNotRouted(appeal_id=state.appeal_id, registration_number=state.registration_number,
                           reason=reason, decided_at=at)


def answered(action: ExecutorAnswerSubmitted) -> AppealAnswered:
    return AppealAnswered(
        appeal_id=action.appeal_id, answer_id=action.action_id, executor_code=action.executor_code,
        employee_id=action.employee_id, text=action.text, language=action.language, submitted_at=action.submitted_at)


def extension_requested(action: ExecutorExtensionRequested) -> AppealExtensionRequested:
    return AppealExtensionRequested(
        appeal_id=action.appeal_id, executor_code=action.executor_code, employee_id=action.employee_id,
        reason=action.reason, requested_at=action.requested_at)


def action_rejected(action_id: UUID, appeal_id: UUID | None, executor: str | None, action_type: str,
                    reason: str, at: datetime) -> ExecutorActionRejected:
    return ExecutorActionRejected(action_id=action_id, appeal_id=appeal_id, executor_code=executor,
                                  action_type=action_type, reason=reason, rejected_at=at)
