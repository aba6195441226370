"""When the broker cannot hold what a service published, the service publishes it again."""

from __future__ import annotations

from aiokafka import TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from appeals_runtime.broker_history import lost_topics


def test_a_topic_whose_end_offsets_cannot_hold_the_published_rows_was_lost():
    ends = {TopicPartition("a", 0): 3, TopicPartition("a", 1): 2, TopicPartition("b", 0): 0}
    assert lost_topics({"a": 5, "b": 1, "c": 2}, ends) == ["b", "c"]  # c: not even there


@given(st.lists(st.integers(0, 50), min_size=1, max_size=4), st.lists(st.integers(0, 50), min_size=1, max_size=4))
def test_a_broker_that_kept_everything_is_never_taken_for_a_new_one(published_per_partition, others):
    """Whatever retention deleted, end offsets only grow: this service's rows plus other
    writers' (if any) never sum to less than this service published."""
    ends = {TopicPartition("t", p): mine + (others[p] if p < len(others) else 0)
            for p, mine in enumerate(published_per_partition)}
    assert lost_topics({"t": sum(published_per_partition)}, ends) == []
