import pytest

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from appeals_inspection.domain.review import Verdict, VerdictRefused, check_verdict, moot_on_arrival

REASONS = frozenset({"formal_reply", "no_substance"})


def test_a_waiting_answer_can_be_accepted_or_returned_with_a_known_reason():
    check_verdict("waiting", Verdict(True, "i-1"), REASONS)
    check_verdict("waiting", Verdict(False, "i-1", "formal_reply", "Be specific"), REASONS)


@pytest.mark.parametrize(("status", "words"), [("accepted", "already accepted"), ("returned", "already returned"),
                                               ("superseded", "superseded by a newer answer")])
def test_a_decided_or_superseded_answer_is_a_conflict(status, words):
    with pytest.raises(VerdictRefused, match=words) as refused:
        check_verdict(status, Verdict(True, "i-1"), REASONS)
    assert refused.value.conflict


def test_unknown_answers_and_reasons_are_not_conflicts():
    with pytest.raises(VerdictRefused, match="no such answer") as refused:
        check_verdict(None, Verdict(True, "i-1"), REASONS)
    assert not refused.value.conflict
    with pytest.raises(VerdictRefused, match="reason_code must be one of formal_reply, no_substance"):
        check_verdict("waiting", Verdict(False, "i-1", "rude"), REASONS)


def test_a_waiting_answer_of_a_closed_appeal_is_a_conflict():
    with pytest.raises(VerdictRefused, match="closed by another accepted answer") as refused:
        check_verdict("waiting", Verdict(True, "i-1"), REASONS, appeal_status="closed")
    assert refused.value.conflict


ACCEPTED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@given(st.sampled_from(["open", "closed", "not_routed", "merged", None]), st.integers(-3600, 3600),
       st.booleans())
def test_only_an_answer_given_before_its_closed_appeals_acceptance_is_moot(status, offset_s, accepted):
    answered_at = ACCEPTED + timedelta(seconds=offset_s)
    moot = moot_on_arrival(status, ACCEPTED if accepted else None, answered_at)
    assert moot == (status == "closed" and accepted and offset_s <= 0)
