"""Deadline policies: which period applies, how far it may be extended, when to remind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from appeals_deadlines.domain.calendar import (
    WorkingCalendar,
    add_calendar_days,
    add_months,
    end_of_day,
    local_date,
)

UNITS = ("calendar_days", "working_days", "months")


@dataclass(frozen=True)
class Period:
    amount: int
    unit: str  # calendar_days, working_days, months

    def last_day(self, start: date, calendar: WorkingCalendar) -> date:
        if self.unit == "calendar_days":
            return add_calendar_days(start, self.amount)
        if self.unit == "working_days":
            return calendar.add_working_days(start, self.amount)
        return add_months(start, self.amount)


@dataclass(frozen=True)
class Policy:
    code: str
    period: Period
    extended_period: Period | None  # total period from registration once extended; None: no extension
    reminders: tuple[Period, ...]   # how long before the due time to remind
    applicant_notice_within: Period | None = None  # telling the applicant of an extension
    forwarding_within: Period | None = None        # passing the appeal to the competent body


@dataclass(frozen=True)
class Regime:
    code: str
    policies: dict[str, Policy]         # by code
    by_channel_family: dict[str, str]   # channel family -> policy code
    #: (start, end) of working hours, Almaty time, when an appeal received outside them counts
    #: from the next working day (APPC Art. 64); None: every appeal counts from its own date.
    working_hours: tuple[time, time] | None = None
    #: The policy of an appeal its citizen reopened, counted from the reopening (None: the
    #: appeal's own policy again).
    reopened: str | None = None


def due_at(policy: Policy, counted_from: date, calendar: WorkingCalendar, *, extended: bool = False) -> datetime:
    """The absolute instant the deadline falls (end of the last day, Almaty), counting from the
    day after ``counted_from`` (the registration date, or the receipt day of Art. 64)."""
    period = policy.extended_period if extended and policy.extended_period else policy.period
    return end_of_day(period.last_day(counted_from, calendar))


def forwarding_due_at(policy: Policy, counted_from: date, calendar: WorkingCalendar) -> datetime | None:
    """By when an appeal outside the executor's competence must be forwarded, if the policy says."""
    if policy.forwarding_within is None:
        return None
    return end_of_day(policy.forwarding_within.last_day(counted_from, calendar))


def notice_due_at(policy: Policy, extended_at: datetime, calendar: WorkingCalendar) -> datetime | None:
    """By when the applicant must be told of an extension granted at ``extended_at``, if the policy says."""
    if policy.applicant_notice_within is None:
        return None
    return end_of_day(policy.applicant_notice_within.last_day(local_date(extended_at), calendar))


def reminders_at(policy: Policy, due: datetime, calendar: WorkingCalendar) -> tuple[datetime, ...]:
    """Reminder instants before ``due``: for "N days before", the end of the day N days (or
    N working days) before the last day, so the executor has those N days left."""
    last = local_date(due - timedelta(seconds=1))
    out = []
    for r in policy.reminders:
        if r.unit == "working_days":
            day = calendar.working_days_before(last, r.amount)
        else:
            day = add_calendar_days(last, -r.amount)
        out.append(end_of_day(day))
    return tuple(sorted(set(out)))


def is_on_time(answer_submitted_at: datetime, due: datetime) -> bool:
    """On time when the finally accepted answer was submitted strictly before the due instant."""
    return answer_submitted_at < due


def policy_problems(regime: Regime, families: frozenset[str]) -> list[str]:
    """Every inconsistency in a regime: unknown units, an extension not longer than the
    base period, reminders not inside the period, a channel family without a policy."""
    problems = []
    for code, p in regime.policies.items():
        where = f"{regime.code}.{code}"
        for label, period in (("period", p.period), ("extended_period", p.extended_period), *(
                ("reminder", r) for r in p.reminders)):
            if period is None:
                continue
            if period.unit not in UNITS:
                problems.append(f"{where}: {label} has unknown unit {period.unit!r}")
            if period.amount < 1:
                problems.append(f"{where}: {label} must be at least 1")
        if p.extended_period is not None and _rough_days(p.extended_period) <= _rough_days(p.period):
            problems.append(f"{where}: extended_period must be longer than period")
        for r in p.reminders:
            if _rough_days(r) >= _rough_days(p.period):
                problems.append(f"{where}: a reminder {r.amount} {r.unit} before is not inside the period")
    if regime.reopened is not None and regime.reopened not in regime.policies:
        problems.append(f"{regime.code}: reopened names unknown policy {regime.reopened!r}")
    for family in sorted(families):
        named = regime.by_channel_family.get(family)
        if named is None:
            problems.append(f"{regime.code}: no policy for channel family {family!r}")
        elif named not in regime.policies:
            problems.append(f"{regime.code}: channel family {family!r} names unknown policy {named!r}")
    return problems


def _rough_days(period: Period) -> float:
    return {"calendar_days": 1.0, "working_days": 7 / 5, "months": 30.0}.get(period.unit, 1.0) * period.amount
