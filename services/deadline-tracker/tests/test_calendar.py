from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals_deadlines.adapters.data_files import read_calendar
from appeals_deadlines.domain.calendar import ALMATY, CalendarMissing, add_months, end_of_day, local_date

CAL = read_calendar()
days_2020_2026 = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 11, 30))


def test_years_2020_to_2027_are_present():
    assert CAL.years == frozenset(range(2020, 2028))


def test_every_listed_holiday_is_there_each_year():
    for year in range(2020, 2028):
        for month, day in ((1, 1), (1, 2), (1, 7), (3, 8), (3, 21), (3, 22), (3, 23), (5, 1), (5, 7), (5, 9),
                           (7, 6), (12, 16)):
            assert date(year, month, day) in CAL.days_off, (year, month, day)
        # Constitution Day, as the data source has it: 30 August until 2025 (1995 Constitution);
        # none in 2026; 15 March from 2027 (the 2026 Constitution).
        assert (date(year, 8, 30) in CAL.days_off) == (year <= 2025)
        assert (date(year, 3, 15) in CAL.days_off) == (year >= 2027)
    for year in range(2022, 2028):
        assert date(year, 10, 25) in CAL.days_off  # Republic Day, restored in 2022
    assert date(2024, 6, 16) in CAL.days_off  # Kurban Ait 2024


def test_holidays_on_a_weekend_move_to_the_next_working_day():
    # Nauryz 2026: 21-23 March (Sat-Mon); Saturday and Sunday move to Tuesday and Wednesday.
    assert [CAL.is_working_day(date(2026, 3, d)) for d in range(20, 27)] == [True, False, False, False, False, False, True]
    # Orthodox Christmas is not moved: 7 January 2024 was a Sunday and 8 January a working day.
    assert CAL.is_working_day(date(2024, 1, 8))


def test_government_transfers_are_followed():
    assert not CAL.is_working_day(date(2024, 5, 8))  # Wednesday off...
    assert CAL.is_working_day(date(2024, 5, 4))      # ...worked on Saturday 4 May


def test_a_year_without_calendar_is_an_error_not_a_guess():
    with pytest.raises(CalendarMissing, match="2028"):
        CAL.add_working_days(date(2027, 12, 20), 15)


@given(days_2020_2026, st.integers(1, 20))
def test_adding_working_days_lands_on_a_working_day_with_exactly_n_working_days(start, n):
    end = CAL.add_working_days(start, n)
    assert CAL.is_working_day(end)
    between = [start + timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(CAL.is_working_day(d) for d in between) == n


@given(days_2020_2026, st.integers(1, 10), st.integers(1, 10))
def test_working_days_add_up(start, a, b):
    assert CAL.add_working_days(CAL.add_working_days(start, a), b) == CAL.add_working_days(start, a + b)


def test_a_day_ends_at_midnight_almaty():
    instant = end_of_day(date(2026, 3, 31))
    assert instant == datetime(2026, 3, 31, 19, 0, tzinfo=UTC)  # Almaty is UTC+5
    assert local_date(instant - timedelta(microseconds=1)) == date(2026, 3, 31)
    assert instant.astimezone(ALMATY).hour == 0


def test_adding_months_clamps_to_the_month_end():
    assert add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 15), 2) == date(2026, 5, 15)
