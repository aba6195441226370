"""Events of routing and of executor portals: assignments, executor actions, answers."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from appeals_contracts.base import Event
from appeals_contracts.events.intake import AttachmentRef, CitizenContact, Location


class AppealCase(BaseModel):
    """Everything an executor needs to work an appeal and answer the citizen. Carries personal
    data (the contact, the address, the location): never logged or traced."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: str = Field(description="Appeal kind code")
    channel: str = Field(description="Channel the citizen wrote through; the answer goes back through it")
    text: str = Field(description="What the citizen wrote")
    language: str = Field(description="Language of the text and of the expected answer: kk, ru or en")
    address: str | None = None
    location: Location | None = None
    attributes: dict[str, str | list[str]] = Field(default_factory=dict, description="The category's extra details")
    attachments: list[AttachmentRef] = Field(default_factory=list, description="Photos and documents: fetch each at "
                                             "intake's GET /v1/attachments/{attachment_id} with the executor's token")
    anonymous: bool = False
    citizen: CitizenContact | None = Field(None, description="Name and contact; absent when anonymous")
    submitted_at: AwareDatetime | None = None
    registered_at: AwareDatetime
    due_at: AwareDatetime | None = Field(None, description="The legal due time when routing knows it (it follows "
                                         "deadline.scheduled and deadline.extended); a first assignment usually "
                                         "precedes the schedule, which the executor API then shows")


class AppealAssigned(Event):
    """An appeal was assigned to an executor (first routing, reassignment, or reopening)."""

    event_type: ClassVar[str] = "appeal.assigned"

    appeal_id: UUID
    registration_number: str
    executor_code: str = Field(description="Also sent in the ce_executor header so portals can filter")
    previous_executor_code: str | None = Field(None, description="Set on reassignment")
    reason: Literal["routing_rule", "reassignment", "anonymous_policy", "answer_returned"]
    rule_id: str | None = Field(None, description="Routing rule that matched, when reason is routing_rule")
    category: str
    district: str | None = None
    assigned_at: AwareDatetime
    case: AppealCase | None = Field(None, description="The whole case, so a portal needs no other topic; "
                                    "personal data, protected by the topic's ACLs")


class AppealReopened(Event):
    """The citizen said the accepted answer did not resolve the matter, within the window: the
    appeal is open again, with the executor that answered (or the triage desk when that one is
    no longer active). Carries the case like an assignment (``ce_executor`` header too)."""

    event_type: ClassVar[str] = "appeal.reopened"

    appeal_id: UUID
    registration_number: str
    executor_code: str
    previous_answer_id: UUID = Field(description="The accepted answer the citizen found wanting")
    rating: int | None = Field(None, ge=1, le=5)
    reopened_at: AwareDatetime
    category: str
    district: str | None = None
    case: AppealCase | None = None


class AppealAssigneeChanged(Event):
    """An employee of the executor holding the appeal became responsible for it: took it, or was
    given it by the organisation's head. Checked by routing against the verified token of the
    employee who acted; the executor in the ``ce_executor`` header too."""

    event_type: ClassVar[str] = "appeal.assignee_changed"

    appeal_id: UUID
    registration_number: str
    executor_code: str
    employee_id: str = Field(description="The responsible employee (the subject of their token)")
    employee_name: str | None = None
    assigned_by: str = Field(description="Who decided: the same employee (took it) or the head")
    changed_at: AwareDatetime


class AppealNotRouted(Event):
    """Routing decided not to assign the appeal to an executor for an answer, and why."""

    event_type: ClassVar[str] = "appeal.not_routed"

    appeal_id: UUID
    registration_number: str
    reason: Literal["anonymous_without_threat", "consultation"] = Field(
        description="anonymous_without_threat: the law's policy for anonymous appeals; "
                    "consultation: answered at once by the operator")
    decided_at: AwareDatetime


class ExecutorAnswerSubmitted(Event):
    """A portal sends the executor's answer (untrusted until routing checks it)."""

    event_type: ClassVar[str] = "executor.answer_submitted"

    action_id: UUID
    appeal_id: UUID
    executor_code: str
    employee_id: str = Field(description="Staff id of the answering employee: the subject of the employee's token")
    employee_name: str | None = Field(None, max_length=200, description="The employee's name as the IdP gives it, "
                                      "for the inspectors' figures per employee")
    text: str
    language: str
    attachments: list[AttachmentRef] = Field(default_factory=list, max_length=10, description="Photos of the "
                                             "completed work, uploaded to intake by the same employee beforehand")
    submitted_at: AwareDatetime


class ExecutorReassignmentRequested(Event):
    """"Not our competence": the executor asks routing to reassign the appeal."""

    event_type: ClassVar[str] = "executor.reassignment_requested"

    action_id: UUID
    appeal_id: UUID
    executor_code: str
    employee_id: str
    reason: str
    suggested_executor_code: str | None = None
    requested_at: AwareDatetime


class ExecutorExtensionRequested(Event):
    """The executor needs an on-site inspection and asks for a longer deadline."""

    event_type: ClassVar[str] = "executor.extension_requested"

    action_id: UUID
    appeal_id: UUID
    executor_code: str
    employee_id: str
    reason: str
    requested_at: AwareDatetime


class ExecutorActionRejected(Event):
    """Routing refused an executor action; nothing changed."""

    event_type: ClassVar[str] = "executor.action_rejected"

    action_id: UUID
    appeal_id: UUID | None = None
    executor_code: str | None = None
    action_type: str
    reason: str
    rejected_at: AwareDatetime


class AppealAnswered(Event):
    """The current assignee answered; the answer waits for an inspector's review."""

    event_type: ClassVar[str] = "appeal.answered"

    appeal_id: UUID
    answer_id: UUID
    executor_code: str
    employee_id: str
    employee_name: str | None = Field(None, description="The answering employee's name, when the portal gave it")
    text: str
    language: str
    attachments: list[AttachmentRef] = Field(default_factory=list, description="Photos of the completed work")
    submitted_at: AwareDatetime = Field(description="The portal's own time of the answer: information only")
    received_at: AwareDatetime | None = Field(
        None, description="Routing's clock when it received the answer: what timeliness is judged by")

    @property
    def answered_at(self) -> datetime:
        """The time that decides whether the answer was on time: routing's receipt (the portal's
        own claim only for an event written before routing stamped its receipt)."""
        return self.received_at or self.submitted_at


class AppealExtensionRequested(Event):
    """A checked extension request, for the deadline tracker to grant or refuse."""

    event_type: ClassVar[str] = "appeal.extension_requested"

    appeal_id: UUID
    executor_code: str
    employee_id: str
    reason: str
    requested_at: AwareDatetime = Field(description="The portal's own time of the request: information only")
    received_at: AwareDatetime | None = Field(
        None, description="Routing's clock when it received the request: what the due time is compared with")

    @property
    def asked_at(self) -> datetime:
        """The time that decides whether the request came before the due time."""
        return self.received_at or self.requested_at
