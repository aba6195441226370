"""Which dead letters a purge can delete: Kafka cuts a partition only below an offset."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from appeals_runtime.dead_letters import purge_plan


def test_a_partition_goes_up_to_its_first_record_not_chosen():
    records = [("d", 0, 0), ("d", 0, 1), ("d", 0, 2), ("d", 0, 3), ("d", 1, 5), ("d", 1, 6)]
    chosen = {("d", 0, 0), ("d", 0, 1), ("d", 0, 3), ("d", 1, 6)}
    assert purge_plan(records, chosen) == {("d", 0): 2}


@given(st.lists(st.booleans(), max_size=30))
def test_nothing_not_chosen_is_ever_deleted(choices):
    records = [("d", 0, offset) for offset in range(len(choices))]
    chosen = {r for r, pick in zip(records, choices, strict=True) if pick}
    cut = purge_plan(records, chosen).get(("d", 0), 0)
    assert all(r in chosen for r in records[:cut])
    assert cut == len(records) or records[cut] not in chosen, "as far as it can go"
