from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals_notification.adapters.data_files import RecipientsFileError, read_recipients
from appeals_contracts.reference import load_reference
from appeals_notification.domain.messages import AppealFacts, Recipients, format_due, is_ready, route

RECIPIENTS = Recipients({"medeu_akimat": "m@x"}, "ru", "open_almaty", "i@x", "ru")
IN_CHANNEL = frozenset({"portal", "mobile_app", "social_network"})


def appeal(**kw) -> AppealFacts:
    base = dict(appeal_id=uuid4(), registered=True, registration_number="OA-2026-1", channel="email", language="ru",
                due_at=datetime(2026, 12, 16, 19, tzinfo=UTC))
    return AppealFacts(**{**base, **kw})


def test_due_at_midnight_reads_as_the_end_of_the_day_before():
    assert format_due(datetime(2026, 12, 16, 19, 0, tzinfo=UTC)) == "16.12.2026 24:00"
    assert format_due(datetime(2026, 12, 16, 10, 30, tzinfo=UTC)) == "16.12.2026 15:30"
    assert format_due(datetime(2024, 1, 9, 18, 0, tzinfo=UTC)) == "09.01.2024 24:00"  # UTC+6 then


def test_a_notice_waits_for_registration_due_time_and_executor():
    assert not is_ready("citizen", "citizen.registered", appeal(registered=False), {})
    assert not is_ready("citizen", "citizen.registered", appeal(due_at=None), {})
    assert is_ready("citizen", "citizen.extended", appeal(due_at=None), {"due_at": "2027-01-05T19:00:00+00:00"})
    assert not is_ready("citizen", "citizen.assigned", appeal(), {})
    assert is_ready("citizen", "citizen.assigned", appeal(), {"executor_code": "medeu_akimat"})
    assert not is_ready("executor", "executor.deadline_approaching", appeal(), {})
    assert is_ready("executor", "executor.deadline_approaching", appeal(executor_code="medeu_akimat"), {})


def test_the_citizen_is_written_to_in_their_channel_else_email_else_sms():
    assert route("citizen", appeal(channel="portal", email="a@x"), {}, RECIPIENTS, IN_CHANNEL, "ru").delivery_channel == "outbound"
    to_email = route("citizen", appeal(email="a@x", phone="+7701", preferred_language="kk"), {}, RECIPIENTS, IN_CHANNEL, "ru")
    assert (to_email.delivery_channel, to_email.address, to_email.language) == ("email", "a@x", "kk")
    assert route("citizen", appeal(phone="+7701", language="en"), {}, RECIPIENTS, IN_CHANNEL, "ru").language == "en"
    assert route("citizen", appeal(phone="+7701"), {}, RECIPIENTS, IN_CHANNEL, "ru").delivery_channel == "sms"
    assert route("citizen", appeal(), {}, RECIPIENTS, IN_CHANNEL, "ru") is None


def test_executors_and_inspectors_come_from_the_recipients_file():
    executor = route("executor", appeal(executor_code="almaly_akimat"), {"executor_code": "medeu_akimat"},
                     RECIPIENTS, IN_CHANNEL, "ru")
    assert (executor.recipient, executor.address) == ("executor:medeu_akimat", "m@x")
    assert route("inspectors", appeal(), {}, RECIPIENTS, IN_CHANNEL, "ru").recipient == "inspectors:open_almaty"


def test_the_bundled_recipients_cover_every_executor(tmp_path):
    codes = load_reference().executors.codes
    assert set(read_recipients(None, codes).executor_emails) >= codes
    partial = tmp_path / "r.yaml"
    partial.write_text("version: 1\nexecutors: {medeu_akimat: {email: m@x}}\ninspectors: {group: g, email: i@x}\n")
    with pytest.raises(RecipientsFileError, match="no address for executors"):
        read_recipients(partial, codes)


@given(st.integers(min_value=1_700_000_000, max_value=1_900_000_000))
def test_the_due_text_always_names_a_day_and_a_time(ts):
    text = format_due(datetime.fromtimestamp(ts, UTC))
    day, clock = text.split(" ")
    assert len(day) == 10 and clock <= "24:00" and (clock != "00:00")
