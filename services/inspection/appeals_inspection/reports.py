"""Scorecards and the weekly report, assembled from the read model's indexed queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from appeals_inspection.domain.report import (
    Period,
    growth_percent,
    rank_key,
    same_week_a_year_earlier,
    timeliness,
    week_period,
)


def _card(row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    median = row["median_hours_to_answer"]
    mean = row.get("mean_rating")
    return {**row, "executor_name": names.get(row["executor_code"], row["executor_code"]),
            "on_time_share": timeliness(row["answered_on_time"], row["answered"]),
            "median_hours_to_answer": None if median is None else round(float(median), 2),
            "mean_rating": None if mean is None else round(float(mean), 2)}


async def scorecards(model, period: Period, now: datetime, names: dict[str, str]) -> list[dict[str, Any]]:
    """Every executor with activity in the period, best timeliness first; each with its
    employees' own figures (``employees``)."""
    as_of = min(now, period.end)
    rows = await model.scorecards(period.start, period.end, as_of)
    people: dict[str, list[dict[str, Any]]] = {}
    for row in await model.employee_scorecards(period.start, period.end, as_of):
        mean = row["mean_rating"]
        people.setdefault(row["executor_code"], []).append(
            {**{k: v for k, v in row.items() if k != "executor_code"},
             "mean_rating": None if mean is None else round(float(mean), 2)})
    return sorted(({**_card(r, names), "employees": people.get(r["executor_code"], [])} for r in rows),
                  key=rank_key)


async def weekly(model, year: int, week: int, *, now: datetime, names: dict[str, dict[str, str]],
                 overdue_limit: int) -> dict[str, Any]:
    period = week_period(year, week)
    as_of = min(now, period.end)
    received = await model.received(period.start, period.end)
    earlier_year, earlier_week = same_week_a_year_earlier(year, week)
    earlier = week_period(earlier_year, earlier_week)
    earlier_count = await model.count_received(earlier.start, earlier.end)
    top = sorted(received["by_category"].items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    overdue = await model.longest_overdue(as_of, overdue_limit)
    for row in overdue:
        row["days_overdue"] = round(float(row["days_overdue"]), 1)
    return {
        "week": f"{year}-W{week:02d}",
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label},
        "as_of": as_of.isoformat(),
        "received": received,
        "top_categories": [{"category": c, "name": names["categories"].get(c, c), "count": n} for c, n in top],
        "year_earlier": {"week": f"{earlier_year}-W{earlier_week:02d}", "received": earlier_count},
        "growth_percent": growth_percent(received["total"], earlier_count),
        "merged": await model.count_merged(period.start, period.end),  # duplicates, apart from the answered
        # answered at once by operators, by topic and operator: counted, not lost
        "consultations": [{**row, "topic_name": names["categories"].get(row["topic"], row["topic"])}
                          for row in await model.consultations(period.start, period.end)],
        "scorecards": await scorecards(model, period, now, names["executors"]),
        "longest_overdue": overdue,
    }


#: What the public figures keep of a scorecard: counts per organisation, never a person.
_PUBLIC_CARD = ("executor_code", "executor_name", "assigned", "answered", "answered_on_time", "on_time_share",
                "overdue_now")


async def public_week(model, year: int, week: int, *, now: datetime,
                      names: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The week as the city publishes it: how many appeals by category, kind and channel, the
    top categories, and each organisation's share answered on time. No appeal, no person."""
    period = week_period(year, week)
    received = await model.received(period.start, period.end)
    top = sorted(received["by_category"].items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    cards = await scorecards(model, period, now, names["executors"])
    return {
        "week": f"{year}-W{week:02d}",
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label},
        "as_of": min(now, period.end).isoformat(),
        "received": received,
        "top_categories": [{"category": c, "name": names["categories"].get(c, c), "count": n} for c, n in top],
        "organisations": [{k: card.get(k) for k in _PUBLIC_CARD} for card in cards],
    }
