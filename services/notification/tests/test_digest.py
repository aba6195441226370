"""Grouping claimed rows into messages: nothing lost or repeated, order kept, only an
executor's non-urgent messages together."""

from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from appeals_notification.domain.digest import digestible, group
from appeals_notification.domain.ledger import LedgerRow

rows = st.lists(st.tuples(st.sampled_from(["executor", "citizen", "inspectors"]), st.booleans(),
                          st.sampled_from(["a", "b", "c"])), max_size=30).map(
    lambda specs: [LedgerRow(uuid4(), uuid4(), audience, "t", urgent, {}, f"{audience}:{who}", "email", "x@y.z",
                             "ru", "s", "b", 0) for audience, urgent, who in specs])


@given(rows)
def test_every_row_is_in_exactly_one_message_in_its_order(claimed):
    messages = group(claimed)
    flat = [r.notification_id for m in messages for r in m]
    assert sorted(flat) == sorted(r.notification_id for r in claimed)
    position = {r.notification_id: i for i, r in enumerate(claimed)}
    for message in messages:
        assert [position[r.notification_id] for r in message] == sorted(position[r.notification_id] for r in message)
        if len(message) > 1:
            assert all(digestible(r) for r in message) and len({r.recipient for r in message}) == 1
