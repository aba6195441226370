"""Report arithmetic: ISO weeks in Almaty, growth, ranking by timeliness."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from appeals_contracts.languages import ALMATY
from appeals_inspection.domain.figures import Scorecard

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive

    @property
    def label(self) -> str:
        return f"{self.start.astimezone(ALMATY):%Y-%m-%d} – {(self.end.astimezone(ALMATY) - timedelta(days=1)):%Y-%m-%d}"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ALMATY)


def iso_week(text: str) -> tuple[int, int]:
    """``2026-W48`` → (2026, 48); a week that does not exist is a ``ValueError``."""
    match = _WEEK.match(text)
    if not match:
        raise ValueError("an ISO week looks like 2026-W48")
    year, week = int(match[1]), int(match[2])
    date.fromisocalendar(year, week, 1)  # raises for week 53 of a 52-week year
    return year, week


def week_period(year: int, week: int) -> Period:
    """Monday 00:00 to the next Monday 00:00, Almaty time."""
    monday = date.fromisocalendar(year, week, 1)
    return Period(day_start(monday), day_start(monday + timedelta(days=7)))


def same_week_a_year_earlier(year: int, week: int) -> tuple[int, int]:
    """The same ISO week number a year earlier (week 53 falls back to 52 in a 52-week year)."""
    try:
        date.fromisocalendar(year - 1, week, 1)
        return year - 1, week
    except ValueError:
        return year - 1, 52


def growth_percent(current: int, previous: int) -> float | None:
    """(current − previous) / previous in percent, one decimal; ``None`` without a base."""
    if previous == 0:
        return None
    return round((current - previous) * 100 / previous, 1)


def timeliness(on_time: int, answered: int) -> float | None:
    return None if answered == 0 else on_time / answered


def rank_key(card: Scorecard) -> tuple[bool, float, int, int, str]:
    """Best first: higher share on time, then more answered, then fewer overdue, then code."""
    share = card["on_time_share"]
    return (share is None, -(share or 0.0), -card["answered"], card["overdue_now"], card["executor_code"])
