import pytest

from appeals_inspection.domain.review import Verdict, VerdictRefused, check_verdict

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
