"""The figures inspection's readers get, as typed views: the review queue, escalations, the
scorecards and the weekly report. The queries return the ``*Row`` shapes; the report's use cases
turn them into what the JSON API, the console's pages, the CSV and the public page show (the API's
schema is made from these too). Counts are whole numbers, hours and days are floats, and a
mean or a share is ``None`` where there is nothing to divide."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

# pydantic (the API's schema) reads TypedDicts from typing_extensions before Python 3.12.
from typing_extensions import TypedDict


class QueueRow(TypedDict):
    """An answer waiting for review."""

    answer_id: UUID
    appeal_id: UUID
    registration_number: str | None
    executor_code: str
    employee_id: str
    category: str | None
    district: str | None
    language: str
    text: str
    submitted_at: datetime
    due_at: datetime | None


class QueueEntry(QueueRow):
    age_hours: float


def aged(row: QueueRow, now: datetime) -> QueueEntry:
    """A waiting answer with how long it has waited at ``now``, in hours."""
    return QueueEntry(**row, age_hours=round((now - row["submitted_at"]).total_seconds() / 3600, 2))


class EscalationRow(TypedDict):
    """An appeal past its due time: who holds it, who in the executor is responsible."""

    appeal_id: UUID
    registration_number: str | None
    executor_code: str | None
    employee_id: str | None
    employee_name: str | None
    due_at: datetime
    opened_at: datetime
    closed_at: datetime | None
    age_hours: float


class ScorecardRow(TypedDict):
    """One executor's figures in a period, as the query counts them."""

    executor_code: str
    assigned: int
    answered: int
    answered_on_time: int
    overdue_now: int
    returned: int
    median_hours_to_answer: float | None
    forwarded_late: int
    reopened_by_citizens: int
    rated: int
    mean_rating: float | None
    re_appeals: int


class EmployeeCard(TypedDict):
    """One employee's figures within their executor's card."""

    employee_id: str
    employee_name: str | None
    answered: int
    returned: int
    accepted: int
    accepted_late: int
    overdue_now: int
    rated: int
    mean_rating: float | None


class EmployeeRow(EmployeeCard):
    executor_code: str


class Scorecard(ScorecardRow):
    """An executor's card: its figures, its name, its share on time and its employees'."""

    executor_name: str
    on_time_share: float | None
    employees: list[EmployeeCard]


class Received(TypedDict):
    """Appeals registered in a period: in all, and by channel, kind and category."""

    total: int
    by_channel: dict[str, int]
    by_kind: dict[str, int]
    by_category: dict[str, int]


class ConsultationRow(TypedDict):
    """Consultations an operator answered at once on one topic (the category)."""

    topic: str
    operator_id: str
    operator_name: str | None
    answered: int
    from_prepared: int


class Consultation(ConsultationRow):
    topic_name: str


class Overdue(TypedDict):
    """An appeal open past its due time, and by how many days."""

    appeal_id: UUID
    registration_number: str | None
    executor_code: str | None
    category: str | None
    district: str | None
    due_at: datetime
    employee_id: str | None
    employee_name: str | None
    days_overdue: float


class PeriodView(TypedDict):
    start: str
    end: str  # exclusive
    label: str


class TopCategory(TypedDict):
    category: str
    name: str
    count: int


class YearEarlier(TypedDict):
    week: str
    received: int


class WeeklyReport(TypedDict):
    """The week's report for the akim's office."""

    week: str
    period: PeriodView
    as_of: str
    received: Received
    top_categories: list[TopCategory]
    year_earlier: YearEarlier
    growth_percent: float | None
    merged: int
    consultations: list[Consultation]
    scorecards: list[Scorecard]
    longest_overdue: list[Overdue]


class PublicCard(TypedDict):
    """What the city publishes of an organisation's card: counts, never a person."""

    executor_code: str
    executor_name: str
    assigned: int
    answered: int
    answered_on_time: int
    on_time_share: float | None
    overdue_now: int


class PublicWeek(TypedDict):
    """The week as the city publishes it (no appeal, no person)."""

    week: str
    period: PeriodView
    as_of: str
    received: Received
    top_categories: list[TopCategory]
    organisations: list[PublicCard]
