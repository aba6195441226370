"""An appeal as inspectors read it, as typed views: its facts, its assignments, every answer with
its verdict, its escalation, its re-appeal chain and possible duplicates, and its timeline across
the services. The queries return these; the JSON API's schema and the console's answer page are
made from them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

# pydantic (the API's schema) reads TypedDicts from typing_extensions before Python 3.12.
from typing_extensions import TypedDict

from appeals_contracts.events import AttachmentRef


class AppealFacts(TypedDict):
    """What inspection keeps of an appeal (never who the citizen is). A row exists from the
    appeal's first event; the registration's fields are None until the registration arrives."""

    appeal_id: UUID
    registration_number: str | None
    channel: str | None
    kind: str | None
    category: str | None
    district: str | None
    registered_at: datetime | None
    text: str | None
    language: str | None
    address: str | None
    lat: float | None
    long: float | None
    attributes: dict[str, str | list[str]]
    attachments: list[AttachmentRef]
    executor_code: str | None
    due_at: datetime | None
    #: open, closed, not_routed, merged
    status: str
    accepted_answer_id: UUID | None
    answered_by: str | None
    answered_at: datetime | None
    accepted_at: datetime | None
    merged_into: UUID | None
    merged_at: datetime | None
    #: The employee of ``assignee_executor`` who took the appeal (or was given it by the head).
    assignee_id: str | None
    assignee_name: str | None
    assignee_executor: str | None
    consulted_by: str | None
    consulted_by_name: str | None
    prepared_answer: str | None


class Assignment(TypedDict):
    executor_code: str
    assigned_at: datetime


class AnswerRecord(TypedDict):
    """An executor's answer with its verdict (``status``: waiting, accepted, returned, superseded)."""

    answer_id: UUID
    executor_code: str
    employee_id: str
    employee_name: str | None
    attachments: list[AttachmentRef]
    text: str
    language: str
    #: The platform's time of the answer: what timeliness is judged by.
    submitted_at: datetime
    status: str
    inspector_id: str | None
    reason_code: str | None
    comment: str | None
    decided_at: datetime | None


class AnswerView(AnswerRecord):
    """An answer on its own page: with its appeal and the portal's own time of it."""

    appeal_id: UUID
    portal_submitted_at: datetime | None


class Escalation(TypedDict):
    appeal_id: UUID
    due_at: datetime
    opened_at: datetime
    closed_at: datetime | None


class ChainLink(TypedDict):
    """An appeal of a re-appeal chain (the citizen wrote again about the same problem)."""

    appeal_id: UUID
    registration_number: str | None
    registered_at: datetime | None
    executor_code: str | None
    status: str


class DuplicateLink(TypedDict):
    """Intake's finding that ``appeal_id`` may repeat ``original_appeal_id``."""

    appeal_id: UUID
    original_appeal_id: UUID
    matched_by: str
    distance_m: float | None
    linked_at: datetime
    registration_number: str | None
    original_registration_number: str | None


class AppealHistory(TypedDict):
    appeal: AppealFacts
    assignments: list[Assignment]
    answers: list[AnswerRecord]
    escalation: Escalation | None
    re_appeal_chain: list[ChainLink]
    possible_duplicates: list[DuplicateLink]


class TimelineEntry(TypedDict):
    """One thing that happened to the appeal: ``event`` names it; ``executor_code``, ``detail``
    and ``ref`` (another appeal's number; a verdict's comment) say more."""

    at: datetime
    event: str
    executor_code: str | None
    detail: str | None
    ref: str | None
