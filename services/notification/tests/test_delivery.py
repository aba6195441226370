from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from appeals_contracts.languages import ALMATY
from appeals_notification.domain.delivery import DeliveryBackoff, QuietHours

instants = st.datetimes(min_value=datetime(2024, 3, 2), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))


def test_backoff_doubles_up_to_the_ceiling_and_stops():
    policy = DeliveryBackoff(initial=timedelta(seconds=5), ceiling=timedelta(seconds=60), max_attempts=6)
    t0 = datetime(2026, 11, 24, tzinfo=UTC)
    delays = [policy.next_attempt(n, t0) - t0 for n in range(1, 6)]
    assert [d.total_seconds() for d in delays] == [5, 10, 20, 40, 60]
    assert policy.next_attempt(6, t0) is None


@given(instants)
def test_non_urgent_sms_never_goes_out_at_night(at):
    quiet = QuietHours()
    send = quiet.earliest_send(at, urgent=False)
    assert send >= at and not quiet.is_quiet(send)
    assert send - at < timedelta(hours=10, seconds=1)
    assert quiet.earliest_send(at, urgent=True) == at


def test_a_message_at_23_almaty_waits_until_8():
    at = datetime(2026, 11, 24, 23, 0, tzinfo=ALMATY)
    assert QuietHours().earliest_send(at, urgent=False) == datetime(2026, 11, 25, 8, 0, tzinfo=ALMATY)
