"""The Kazakhstan working-day calendar and deadline arithmetic, all in Asia/Almaty.

Conventions, stated once:

* Counting starts the day after registration: with N calendar days the last day is the
  registration date + N; with N working days it is the N-th working day after the
  registration date.
* A deadline falls at the **end of its last day**: the instant 00:00 Asia/Almaty of the
  following day, stored as an absolute UTC instant. An answer is on time when it was
  submitted strictly before that instant.
* A year the calendar does not cover is an explicit error (:class:`CalendarMissing`),
  never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from appeals_contracts.languages import ALMATY


class CalendarMissing(LookupError):
    """The calendar has no data for a year a computation needs."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Days off and working weekend days for the years it covers."""

    days_off: Mapping[date, str]
    working_weekend_days: frozenset[date]
    years: frozenset[int]

    def _covered(self, day: date) -> None:
        if day.year not in self.years:
            covered = f"{min(self.years)}-{max(self.years)}" if self.years else "none"
            raise CalendarMissing(f"no working-day calendar for {day.year} (covered: {covered}); add the year's data")

    def is_working_day(self, day: date) -> bool:
        self._covered(day)
        if day in self.working_weekend_days:
            return True
        return day.weekday() < 5 and day not in self.days_off

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself not counted); n >= 1."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_before(self, end: date, n: int) -> date:
        """The n-th working day before ``end``; n >= 1."""
        day, counted = end, 0
        while counted < n:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day


def receipt_day(instant: datetime, calendar: WorkingCalendar, working_hours: tuple[time, time] | None) -> date:
    """The day an appeal counts as registered on for its deadline. Without working hours, its
    Almaty date. With them (APPC Art. 64), an appeal received after the end of working hours or
    on a day off counts as registered on the next working day; one received before they begin,
    on a working day, on that day."""
    day = local_date(instant)
    if working_hours is None:
        return day
    if calendar.is_working_day(day) and instant.astimezone(ALMATY).time() < working_hours[1]:
        return day
    return calendar.add_working_days(day, 1)


def local_date(instant: datetime) -> date:
    """The Almaty calendar date of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(ALMATY).date()


def end_of_day(day: date) -> datetime:
    """The instant a day ends in Almaty (00:00 of the next day), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=ALMATY).astimezone(UTC)


def add_calendar_days(start: date, n: int) -> date:
    return start + timedelta(days=n)


def add_months(start: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to the month's last day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in range(start.day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(start.day, 28))


def calendar_from_data(years: Mapping[int, Mapping[str, Iterable[Mapping[str, object]]]]) -> WorkingCalendar:
    """Build the calendar from the data file's ``years`` mapping."""
    days_off: dict[date, str] = {}
    working: set[date] = set()
    for entry in years.values():
        for item in entry.get("days_off", ()):
            days_off[date.fromisoformat(str(item["date"]))] = str(item["name"])
        for item in entry.get("working_days", ()):
            working.add(date.fromisoformat(str(item)))
    return WorkingCalendar(days_off, frozenset(working), frozenset(int(y) for y in years))
