"""Every day off of 2020 and 2026, written out by hand from the law and the decrees, against
the calendar file; plus the known cases the issue names."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from appeals_contracts.reference import load_reference
from appeals_deadlines.adapters.data_files import read_calendar, read_regime
from appeals_deadlines.domain.calendar import local_date
from appeals_deadlines.domain.policies import due_at

CAL = read_calendar()
FAMILIES = frozenset(e.attributes["deadline_family"] for e in load_reference().channels.entries.values())
SEED = read_regime(FAMILIES)
STANDARD, SOCIAL = SEED.policies["calendar_15"], SEED.policies["social_3"]

DAYS_OFF_2020 = {
    "01-01", "01-02",   # New Year
    "01-03",            # transferred from Sunday 5 January
    "01-07",            # Orthodox Christmas
    "03-08", "03-09",   # 8 March (Sunday) and the Monday after
    "03-21", "03-22", "03-23", "03-24", "03-25",  # Nauryz (Sat-Mon) and its moved days
    "05-01", "05-07",
    "05-08",            # transferred day off
    "05-09",            # Victory Day (Saturday; not moved that year, the 8th was given instead)
    "07-06",            # Capital Day
    "07-31",            # Kurban Ait
    "08-30", "08-31",   # Constitution Day (Sunday) and the Monday after
    "12-01",            # First President Day (until 2021)
    "12-16", "12-17",   # Independence Day (two days until 2021)
    "12-18",            # transferred from Sunday 20 December
}
DAYS_OFF_2026 = {
    "01-01", "01-02", "01-07",
    "03-08", "03-09",
    "03-21", "03-22", "03-23", "03-24", "03-25",
    "05-01", "05-07", "05-09", "05-11",
    "05-27",            # Kurban Ait (estimated until announced)
    "07-06",
    "10-25", "10-26",   # Republic Day (Sunday) and the Monday after
    "12-16",
}


def _days_off(year: int) -> set[str]:
    return {d.strftime("%m-%d") for d in CAL.days_off if d.year == year}


def test_every_day_off_of_2020():
    assert _days_off(2020) == DAYS_OFF_2020
    assert CAL.is_working_day(date(2020, 1, 5)) and CAL.is_working_day(date(2020, 12, 20))  # worked Sundays


def test_every_day_off_of_2026():
    assert _days_off(2026) == DAYS_OFF_2026
    for day in DAYS_OFF_2026:
        assert not CAL.is_working_day(date.fromisoformat(f"2026-{day}"))


def test_friday_before_nauryz_through_a_social_network():
    registered = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # Friday 20 March 2026, 14:00 in Almaty
    last_day = local_date(due_at(SOCIAL, local_date(registered), CAL) - timedelta(seconds=1))
    assert last_day == date(2026, 3, 30)  # 26 (Thu), 27 (Fri), 30 (Mon): the third working day


def test_fifteen_calendar_days_across_new_year():
    registered = datetime(2025, 12, 20, 6, 0, tzinfo=UTC)
    assert local_date(due_at(STANDARD, local_date(registered), CAL) - timedelta(seconds=1)) == date(2026, 1, 4)


instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 11, 1), timezones=st.just(UTC))


@given(instants)
def test_a_working_day_due_time_never_falls_on_a_weekend_or_holiday(registered):
    for extended in (False, True):
        last_day = local_date(due_at(SOCIAL, local_date(registered), CAL, extended=extended) - timedelta(seconds=1))
        assert CAL.is_working_day(last_day)


@given(instants, instants)
def test_due_times_are_monotonic_in_registration_time(a, b):
    early, late = min(a, b), max(a, b)
    for policy in (STANDARD, SOCIAL):
        assert due_at(policy, local_date(early), CAL) <= due_at(policy, local_date(late), CAL)
