"""Contract events to routing's commands, and routing's announcements as contract events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from appeals_contracts.base import Event
from appeals_contracts.events import (
    AppealAnswered,
    AppealAssigned,
    AppealAssigneeChanged,
    AppealCase,
    AppealExtensionRequested,
    AppealNotRouted,
    AppealRegistered,
    AppealReopened,
    CitizenVerdict,
    ExecutorActionRejected,
    ExecutorAnswerSubmitted,
    ExecutorExtensionRequested,
    ExecutorReassignmentRequested,
    DeadlineExtended,
    DeadlineScheduled,
)
from appeals_routing.domain.model import AppealState, Assignment, Employee, RegisteredAppeal

#: What an executor's portal may publish (appeals.executor-actions.v1).
EXECUTOR_ACTIONS = (ExecutorAnswerSubmitted, ExecutorReassignmentRequested, ExecutorExtensionRequested)


def registered_appeal(event: AppealRegistered, context: object) -> RegisteredAppeal:
    """A registration to route, with the case routing keeps and the trace it continues."""
    return RegisteredAppeal(event.appeal_id, event.registration_number, event.kind, event.category, event.district,
                            event.anonymous, event.reports_crime_or_threat, case=case_of(event), context=context)


def due_times(events: Sequence[Event]) -> dict[UUID, tuple[datetime, str | None]]:
    """Each appeal's due time and policy after ``events``, in their order: the last
    announcement wins (an extension keeps the policy already known)."""
    due: dict[UUID, tuple[datetime, str | None]] = {}
    for e in events:
        if isinstance(e, DeadlineScheduled):
            due[e.appeal_id] = (e.due_at, e.policy_code)
        elif isinstance(e, DeadlineExtended):
            due[e.appeal_id] = (e.due_at, due[e.appeal_id][1] if e.appeal_id in due else None)
    return due


def case_of(event: AppealRegistered) -> dict[str, Any]:
    """The case routing keeps and hands on, in the contract's JSON form."""
    return AppealCase(
        kind=event.kind, channel=event.channel, text=event.text, language=event.language, address=event.address,
        location=event.location, attributes=event.attributes, attachments=event.attachments,
        anonymous=event.anonymous, citizen=None if event.anonymous else event.citizen,
        submitted_at=event.submitted_at, registered_at=event.registered_at,
    ).model_dump(mode="json", exclude_none=True)


def case(state: AppealState) -> AppealCase | None:
    if state.case is None:
        return None
    return AppealCase.model_validate({**state.case, "due_at": state.due_at})


def assigned(state: AppealState, entry: Assignment) -> AppealAssigned:
    return AppealAssigned(
        appeal_id=state.appeal_id, registration_number=state.registration_number, executor_code=entry.executor,
        previous_executor_code=entry.previous_executor, reason=entry.reason, rule_id=entry.rule_id,
        category=state.category, district=state.district, assigned_at=entry.assigned_at, case=case(state))


def reopened(state: AppealState, entry: Assignment, verdict: CitizenVerdict) -> AppealReopened:
    return AppealReopened(appeal_id=state.appeal_id, registration_number=state.registration_number,
                          executor_code=entry.executor, previous_answer_id=verdict.answer_id, rating=verdict.rating,
                          reopened_at=entry.assigned_at, category=state.category, district=state.district,
                          case=case(state))


def not_routed(state: AppealState, reason: str, at: datetime) -> AppealNotRouted:
    return AppealNotRouted(appeal_id=state.appeal_id, registration_number=state.registration_number,
                           reason=reason, decided_at=at)


def answered(action: ExecutorAnswerSubmitted, received_at: datetime) -> AppealAnswered:
    return AppealAnswered(
        appeal_id=action.appeal_id, answer_id=action.action_id, executor_code=action.executor_code,
        employee_id=action.employee_id, employee_name=action.employee_name, text=action.text,
        language=action.language, attachments=action.attachments, submitted_at=action.submitted_at,
        received_at=received_at)


def assignee_changed(state: AppealState, employee: Employee, by: str, at: datetime) -> AppealAssigneeChanged:
    return AppealAssigneeChanged(
        appeal_id=state.appeal_id, registration_number=state.registration_number,
        executor_code=employee.executor_code, employee_id=employee.employee_id, employee_name=employee.name,
        assigned_by=by, changed_at=at)


def extension_requested(action: ExecutorExtensionRequested, received_at: datetime) -> AppealExtensionRequested:
    return AppealExtensionRequested(
        appeal_id=action.appeal_id, executor_code=action.executor_code, employee_id=action.employee_id,
        reason=action.reason, requested_at=action.requested_at, received_at=received_at)


def action_rejected(action_id: UUID, appeal_id: UUID | None, executor: str | None, action_type: str,
                    reason: str, at: datetime) -> ExecutorActionRejected:
    return ExecutorActionRejected(action_id=action_id, appeal_id=appeal_id, executor_code=executor,
                                  action_type=action_type, reason=reason, rejected_at=at)
