"""Scorecards and the weekly report, assembled from the read model's indexed queries."""

from __future__ import annotations

from datetime import datetime

from appeals_inspection.domain.figures import (
    Consultation,
    EmployeeCard,
    PeriodView,
    PublicCard,
    PublicWeek,
    Received,
    Scorecard,
    ScorecardRow,
    TopCategory,
    WeeklyReport,
)
from appeals_inspection.domain.report import (
    Period,
    growth_percent,
    rank_key,
    same_week_a_year_earlier,
    timeliness,
    week_period,
)
from appeals_inspection.handlers.ports import ReportReader


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _card(row: ScorecardRow, names: dict[str, str], employees: list[EmployeeCard]) -> Scorecard:
    return Scorecard(**row, executor_name=names.get(row["executor_code"], row["executor_code"]),
                     on_time_share=timeliness(row["answered_on_time"], row["answered"]), employees=employees)


def no_activity(executor_code: str, names: dict[str, str]) -> Scorecard:
    """The card of an executor with nothing in the period: every count zero, nothing to divide."""
    return _card(ScorecardRow(executor_code=executor_code, assigned=0, answered=0, answered_on_time=0, overdue_now=0,
                              returned=0, median_hours_to_answer=None, forwarded_late=0, reopened_by_citizens=0,
                              rated=0, mean_rating=None, re_appeals=0), names, [])


async def scorecards(model: ReportReader, period: Period, now: datetime, names: dict[str, str]) -> list[Scorecard]:
    """Every executor with activity in the period, best timeliness first; each with its
    employees' own figures (``employees``)."""
    as_of = min(now, period.end)
    rows = await model.scorecards(period.start, period.end, as_of)
    people: dict[str, list[EmployeeCard]] = {}
    for person in await model.employee_scorecards(period.start, period.end, as_of):
        people.setdefault(person["executor_code"], []).append(EmployeeCard(
            employee_id=person["employee_id"], employee_name=person["employee_name"], answered=person["answered"],
            returned=person["returned"], accepted=person["accepted"], accepted_late=person["accepted_late"],
            overdue_now=person["overdue_now"], rated=person["rated"], mean_rating=_rounded(person["mean_rating"])))
    cards = []
    for row in rows:
        card = _card(row, names, people.get(row["executor_code"], []))
        card["median_hours_to_answer"] = _rounded(row["median_hours_to_answer"])
        card["mean_rating"] = _rounded(row["mean_rating"])
        cards.append(card)
    return sorted(cards, key=rank_key)


def _period(period: Period) -> PeriodView:
    return PeriodView(start=period.start.isoformat(), end=period.end.isoformat(), label=period.label)


def _top(received: Received, names: dict[str, str]) -> list[TopCategory]:
    top = sorted(received["by_category"].items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return [TopCategory(category=c, name=names.get(c, c), count=n) for c, n in top]


async def weekly(model: ReportReader, year: int, week: int, *, now: datetime, names: dict[str, dict[str, str]],
                 overdue_limit: int) -> WeeklyReport:
    period = week_period(year, week)
    as_of = min(now, period.end)
    received = await model.received(period.start, period.end)
    earlier_year, earlier_week = same_week_a_year_earlier(year, week)
    earlier = week_period(earlier_year, earlier_week)
    earlier_count = await model.count_received(earlier.start, earlier.end)
    overdue = await model.longest_overdue(as_of, overdue_limit)
    for row in overdue:
        row["days_overdue"] = round(row["days_overdue"], 1)
    return WeeklyReport(
        week=f"{year}-W{week:02d}", period=_period(period), as_of=as_of.isoformat(), received=received,
        top_categories=_top(received, names["categories"]),
        year_earlier={"week": f"{earlier_year}-W{earlier_week:02d}", "received": earlier_count},
        growth_percent=growth_percent(received["total"], earlier_count),
        merged=await model.count_merged(period.start, period.end),  # duplicates, apart from the answered
        # answered at once by operators, by topic and operator: counted, not lost
        consultations=[Consultation(**row, topic_name=names["categories"].get(row["topic"], row["topic"]))
                       for row in await model.consultations(period.start, period.end)],
        scorecards=await scorecards(model, period, now, names["executors"]),
        longest_overdue=overdue)


def _public(card: Scorecard) -> PublicCard:
    """What the public figures keep of a scorecard: counts per organisation, never a person."""
    return PublicCard(executor_code=card["executor_code"], executor_name=card["executor_name"],
                      assigned=card["assigned"], answered=card["answered"],
                      answered_on_time=card["answered_on_time"], on_time_share=card["on_time_share"],
                      overdue_now=card["overdue_now"])


async def public_week(model: ReportReader, year: int, week: int, *, now: datetime,
                      names: dict[str, dict[str, str]]) -> PublicWeek:
    """The week as the city publishes it: how many appeals by category, kind and channel, the
    top categories, and each organisation's share answered on time. No appeal, no person."""
    period = week_period(year, week)
    received = await model.received(period.start, period.end)
    cards = await scorecards(model, period, now, names["executors"])
    return PublicWeek(week=f"{year}-W{week:02d}", period=_period(period), as_of=min(now, period.end).isoformat(),
                      received=received, top_categories=_top(received, names["categories"]),
                      organisations=[_public(card) for card in cards])
