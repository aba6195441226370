from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals_contracts.reference import load_reference
from appeals_deadlines.adapters.data_files import PolicyFileError, bundled, read_calendar, read_regime
from appeals_deadlines.domain.calendar import local_date, receipt_day
from appeals_deadlines.domain.policies import Period, due_at, is_on_time, policy_problems, reminders_at

CAL = read_calendar()
FAMILIES = frozenset(e.attributes["deadline_family"] for e in load_reference().channels.entries.values())
SEED = read_regime(FAMILIES)
APPC = read_regime(FAMILIES, regime="appc_2021")
STANDARD, SOCIAL = (SEED.policies[SEED.by_channel_family[f]] for f in ("standard", "social"))
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 11, 1), timezones=st.just(UTC))


def test_every_channel_family_has_a_policy_in_both_regimes():
    assert FAMILIES == {"standard", "social"}
    assert policy_problems(SEED, FAMILIES) == [] and policy_problems(APPC, FAMILIES) == []


def test_standard_appeal_registered_on_16_march_2020():
    registered = datetime(2020, 3, 16, 10, 30, tzinfo=UTC)  # 16:30 in Almaty, then UTC+6
    assert due_at(STANDARD, local_date(registered), CAL) == datetime(2020, 3, 31, 18, 0, tzinfo=UTC)  # end of 31 March
    assert due_at(STANDARD, local_date(registered), CAL, extended=True) == datetime(2020, 4, 15, 18, 0, tzinfo=UTC)


def test_social_network_appeal_skips_nauryz_2026():
    registered = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)  # Friday 20 March, Almaty
    # Off: 21-25 March (Nauryz with its moved days); working days 26, 27, 30 March.
    assert local_date(due_at(SOCIAL, local_date(registered), CAL) - timedelta(seconds=1)).isoformat() == "2026-03-30"


def test_late_evening_registration_counts_in_almaty_time():
    registered = datetime(2026, 1, 9, 20, 0, tzinfo=UTC)  # already 10 January in Almaty
    assert local_date(due_at(STANDARD, local_date(registered), CAL) - timedelta(seconds=1)).isoformat() == "2026-01-25"


@given(instants)
def test_due_time_is_after_registration_and_extension_is_later(registered):
    for policy in (STANDARD, SOCIAL, APPC.policies["working_15"]):
        due = due_at(policy, local_date(registered), CAL)
        assert due > registered
        assert due_at(policy, local_date(registered), CAL, extended=True) > due
        assert all(registered < r < due for r in reminders_at(policy, due, CAL) if r > registered)


@given(instants, st.integers(-3600, 3600))
def test_on_time_means_strictly_before_the_due_instant(registered, offset_s):
    due = due_at(STANDARD, local_date(registered), CAL)
    submitted = due + timedelta(seconds=offset_s)
    assert is_on_time(submitted, due) == (offset_s < 0)


def test_reminders_three_and_one_day_before():
    due = due_at(STANDARD, datetime(2026, 6, 1, 5, 0, tzinfo=UTC), CAL)  # last day 16 June
    assert [local_date(r - timedelta(seconds=1)).isoformat() for r in reminders_at(STANDARD, due, CAL)] == [
        "2026-06-13", "2026-06-15"]


def test_an_inconsistent_policy_file_is_refused_with_a_clear_message(tmp_path: Path):
    text = bundled("policies.yaml").read_text()
    bad = tmp_path / "policies.yaml"
    bad.write_text(text.replace("extended_period: {amount: 30, unit: calendar_days}",
                                "extended_period: {amount: 10, unit: calendar_days}"))
    with pytest.raises(PolicyFileError, match="extended_period must be longer than period"):
        read_regime(FAMILIES, bad)
    bad.write_text(text.replace("social: social_3", "social: social_9"))
    with pytest.raises(PolicyFileError, match="unknown policy 'social_9'"):
        read_regime(FAMILIES, bad)
    with pytest.raises(PolicyFileError, match="no regime 'martial_law'"):
        read_regime(FAMILIES, regime="martial_law")


def test_a_reminder_outside_the_period_is_a_problem():
    broken = replace(SEED, policies={**SEED.policies, "calendar_15": replace(STANDARD, reminders=(Period(20, "calendar_days"),))})
    assert any("not inside the period" in p for p in policy_problems(broken, FAMILIES))


HOURS = (time(9, 0), time(18, 30))


@given(instants)
def test_the_receipt_day_is_a_working_day_never_before_the_date_and_fixed(instant):
    """Art. 64: inside working hours an appeal counts on its own date; after them or on a day
    off, on the next working day, the first one after its date."""
    day, receipt = local_date(instant), receipt_day(instant, CAL, HOURS)
    assert receipt >= day and CAL.is_working_day(receipt)
    local = instant.astimezone(ZoneInfo("Asia/Almaty")).time()
    if CAL.is_working_day(day) and local < HOURS[1]:
        assert receipt == day
    else:
        assert receipt == CAL.add_working_days(day, 1)
        assert all(not CAL.is_working_day(day + timedelta(days=d)) for d in range(1, (receipt - day).days))
    assert receipt_day(instant, CAL, None) == day  # the seed regime: its own date


@given(instants, st.integers(0, 600))
def test_a_later_receipt_never_counts_from_an_earlier_day(instant, minutes):
    assert receipt_day(instant, CAL, HOURS) <= receipt_day(instant + timedelta(minutes=minutes), CAL, HOURS)


def test_working_hours_must_be_a_span(tmp_path):
    text = bundled("policies.yaml").read_text("utf-8").replace('{start: "09:00", end: "18:30"}',
                                                                '{start: "18:30", end: "09:00"}')
    bad = tmp_path / "policies.yaml"
    bad.write_text(text, "utf-8")
    with pytest.raises(PolicyFileError, match="working_hours"):
        read_regime(FAMILIES, bad, "appc_2021")
