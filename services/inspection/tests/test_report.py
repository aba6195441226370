from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals_inspection.adapters.report_render import csv_text, html
from appeals_inspection.domain.report import (
    growth_percent,
    iso_week,
    rank_key,
    same_week_a_year_earlier,
    week_period,
)


def test_the_articles_growth():
    assert growth_percent(153, 50) == 206.0
    assert growth_percent(50, 50) == 0.0
    assert growth_percent(10, 0) is None
    assert growth_percent(25, 50) == -50.0


def test_an_iso_week_is_monday_to_monday_in_almaty():
    period = week_period(2026, 40)
    assert period.start == datetime(2026, 9, 27, 19, tzinfo=UTC)
    assert period.end - period.start == timedelta(days=7)
    assert week_period(2024, 1).start == datetime(2023, 12, 31, 18, tzinfo=UTC)  # UTC+6 before March 2024


def test_week_labels_and_week_53():
    assert iso_week("2026-W48") == (2026, 48)
    assert iso_week("2026-W53") == (2026, 53)  # 2026 has 53 ISO weeks
    with pytest.raises(ValueError):
        iso_week("2025-W53")
    with pytest.raises(ValueError):
        iso_week("2026-48")
    assert same_week_a_year_earlier(2026, 53) == (2025, 52)
    assert same_week_a_year_earlier(2026, 40) == (2025, 40)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_every_day_falls_in_exactly_its_iso_week(day):
    year, week, _ = day.isocalendar()
    period = week_period(year, week)
    noon = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)  # noon in Almaty
    assert period.start <= noon < period.end


def card(code, answered, on_time, overdue=0):
    return {"executor_code": code, "answered": answered, "answered_on_time": on_time, "overdue_now": overdue,
            "on_time_share": on_time / answered if answered else None}


def test_ranking_by_timeliness_then_volume_with_the_unanswered_last():
    cards = [card("c", 0, 0, 3), card("b", 4, 2), card("a", 2, 2), card("d", 8, 4), card("e", 4, 2, 1)]
    assert [c["executor_code"] for c in sorted(cards, key=rank_key)] == ["a", "d", "b", "e", "c"]


REPORT = {
    "week": "2026-W40", "period": {"label": "2026-09-28 – 2026-10-04"}, "as_of": "2026-10-03T07:00:00+00:00",
    "received": {"total": 3, "by_channel": {"portal": 2, "email": 1}, "by_kind": {"complaint": 3},
                 "by_category": {"road_repair": 3}},
    "top_categories": [{"category": "road_repair", "name": "Road <repair>", "count": 3}],
    "year_earlier": {"week": "2025-W40", "received": 1}, "growth_percent": 200.0, "merged": 2,
    "consultations": [{"topic": "road_repair", "operator_id": "op-1", "operator_name": "Dana", "answered": 2,
                       "from_prepared": 1, "topic_name": "Road repair"}],
    "scorecards": [{"executor_code": "medeu_akimat", "executor_name": "Medeu", "assigned": 3, "answered": 2,
                    "answered_on_time": 1, "on_time_share": 0.5, "overdue_now": 1, "returned": 1,
                    "median_hours_to_answer": 12.5, "forwarded_late": 1,
                    "reopened_by_citizens": 1, "rated": 2, "mean_rating": 4.5, "re_appeals": 2}],
    "longest_overdue": [{"registration_number": "OA-2026-1", "executor_code": "medeu_akimat", "employee_id": None,
                         "due_at": "2026-10-01T19:00:00+00:00", "days_overdue": 1.5}],
}
NAMES = {"executors": {"medeu_akimat": "Medeu"}, "channels": {"portal": "Portal", "email": "E-mail"},
         "kinds": {"complaint": "Complaint"}, "categories": {}}


def test_the_html_report_escapes_names_and_embeds_its_charts():
    page = html(REPORT, NAMES)
    assert "Road &lt;repair&gt;" in page and "+200.0 %" in page
    assert "2 Oct 2026, 00:00" in page and "3 Oct 2026, 12:00" in page  # Almaty time, not the UTC instants
    assert page.count("<svg") == 3


def test_the_html_report_speaks_the_report_language():
    page = html(REPORT, NAMES, "kk")
    assert '<html lang="kk">' in page and "Түскен өтініштер" in page and "2 қаз. 2026, 00:00" in page
    assert "Appeals received" not in page


def test_the_csv_report_has_every_section():
    lines = csv_text(REPORT).splitlines()
    assert "received,total,,3" in lines and "growth_percent,,,200.0" in lines
    assert "scorecard,medeu_akimat,Medeu,,3,2,1,0.5,1,1,12.5,1,1,4.5,2" in lines
    assert "overdue,OA-2026-1,medeu_akimat,1.5" in lines
    assert "consultations,road_repair/op-1,Dana,2" in lines


async def test_the_html_report_is_drawn_off_the_event_loop(monkeypatch):
    """matplotlib takes a while: on the loop it would stall the consumers and the relay."""
    import threading

    from appeals_inspection.adapters import report_render
    from appeals_inspection.entrypoints import http

    threads = []

    def recording_html(report, names, language="en"):
        threads.append(threading.get_ident())
        return html(report, names, language)

    monkeypatch.setattr(report_render, "html", recording_html)
    page = await http.render_html(REPORT, NAMES)
    assert "<svg" in page and threads and threads[0] != threading.get_ident()
