"""The merge rules, as a property: a merge is allowed exactly when every condition holds, and
otherwise the first broken one is the reason given."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from appeals_inspection.domain.merges import Side, merge_refusal, unmerge_refusal

sides = st.none() | st.builds(Side, st.sampled_from(["open", "closed", "merged"]),
                              st.sampled_from(["medeu_akimat", "turksib_akimat", None]),
                              st.sampled_from(["road_repair", "education"]))
executors = st.none() | st.sampled_from(["medeu_akimat", "turksib_akimat"])


@given(sides, sides, st.booleans(), executors, st.booleans())
def test_a_merge_is_allowed_exactly_when_every_rule_holds(duplicate, into, into_itself, executor, linked):
    refusal = merge_refusal(duplicate, into, into_itself=into_itself, executor=executor, linked=linked)
    allowed = (not into_itself and duplicate is not None and into is not None
               and (executor is None or (duplicate.executor_code == into.executor_code == executor and linked))
               and duplicate.status == into.status == "open" and duplicate.category == into.category)
    assert (refusal is None) == allowed, refusal
    if into_itself:
        assert refusal is not None and refusal.why == "into_itself"
    elif executor is not None and duplicate and into and duplicate.executor_code != executor:
        assert refusal is not None and refusal.why == "not_held"


@given(sides, sides, executors)
def test_a_merge_is_undone_only_before_the_original_is_answered(duplicate, original, executor):
    refusal = unmerge_refusal(duplicate, original, executor=executor)
    allowed = (duplicate is not None and duplicate.status == "merged"
               and (executor is None or duplicate.executor_code == executor)
               and (original is None or original.status == "open"))
    assert (refusal is None) == allowed, refusal
