import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from appeals_intake.domain import registration
from appeals_intake.domain.model import Appeal, SubmitAppeal

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def cmd(channel: str, message: str) -> SubmitAppeal:
    return SubmitAppeal(channel=channel, channel_message_id=message, kind="request", category="education",
                        text="A long enough text", language="en")


keys = st.lists(st.tuples(st.sampled_from(["portal", "email", "front_office"]), st.sampled_from("abcdef")),
                max_size=40)


@given(keys, st.sets(st.tuples(st.sampled_from(["portal", "email"]), st.sampled_from("abc"))))
def test_each_key_is_registered_once_and_every_repeat_points_at_it(batch, known_keys):
    known = {k: Appeal(uuid.uuid4(), f"OA-2026-{i:08d}", NOW, cmd(*k)) for i, k in enumerate(known_keys)}
    commands = [cmd(*k) for k in batch]
    plan = registration.plan(commands, known)
    new_keys = [c.channel_key for c in plan.new]
    assert len(new_keys) == len(set(new_keys))
    assert not set(new_keys) & set(known)
    assert set(new_keys) | set(known) >= {c.channel_key for c in commands}
    assert len(plan.new) + len(plan.repeats) == len(commands)
    for repeated, key in plan.repeats:
        assert repeated.channel_key == key


@given(st.integers(1, 99_999_000), st.integers(0, 50))
def test_numbers_are_consecutive_and_unique(first, count):
    appeals = registration.number_appeals([cmd("portal", str(i)) for i in range(count)], prefix="OA", year=2026,
                                          first_sequence=first, registered_at=NOW, new_id=uuid.uuid4)
    numbers = [a.registration_number for a in appeals]
    assert len(set(numbers)) == count
    assert [int(n.split("-")[2]) for n in numbers] == list(range(first, first + count))


def test_number_format_and_almaty_year():
    assert registration.format_number("OA", 2026, 12345) == "OA-2026-00012345"
    # 31 Dec 2026 20:00 UTC is already 1 Jan 2027 in Almaty (UTC+5)
    assert registration.registration_year(datetime(2026, 12, 31, 20, 0, tzinfo=UTC)) == 2027
