from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from appeals_intake.domain.status import TimelineEntry, summarize

T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def at(minutes: int, event_type: str, **details) -> TimelineEntry:
    return TimelineEntry(f"e{minutes:04d}", event_type, T0 + timedelta(minutes=minutes), details)


LIFECYCLE = [
    at(0, "appeal.registered"),
    at(1, "deadline.scheduled", due_at=(T0 + timedelta(days=15)).isoformat()),
    at(2, "appeal.assigned", executor_code="almaly_akimat"),
    at(10, "appeal.answered"),
    at(11, "inspection.answer_returned", reason_code="formal_reply"),
    at(20, "appeal.answered"),
    at(21, "inspection.answer_accepted", answer="Repaired on 20 March."),
    at(22, "deadline.closed", on_time=True),
]


def test_the_lifecycle_ends_closed_with_the_answer():
    s = summarize(LIFECYCLE)
    assert s.status == "closed"
    assert s.executor_code == "almaly_akimat"
    assert s.answer == "Repaired on 20 March."
    assert s.on_time is True
    assert s.due_at == T0 + timedelta(days=15)
    assert [e.event_type for e in s.timeline] == [e.event_type for e in LIFECYCLE]


@given(st.permutations(LIFECYCLE))
def test_arrival_order_does_not_matter(entries):
    assert summarize(entries) == summarize(LIFECYCLE)


def test_returned_answer_is_in_rework_and_breach_marks_overdue():
    s = summarize(LIFECYCLE[:5] + [at(30, "deadline.breached")])
    assert s.status == "in_rework" and s.overdue


def test_a_late_assignment_never_reopens_an_accepted_answer():
    s = summarize(LIFECYCLE[:7] + [at(40, "appeal.assigned", executor_code="medeu_akimat")])
    assert s.status == "answered"


@given(st.text())
def test_any_presented_token_is_merely_wrong_never_an_error(presented):
    from uuid import UUID

    from appeals_intake.domain.status_token import status_token, token_matches

    appeal_id = UUID(int=7)
    assert token_matches(b"secret", appeal_id, presented) is (presented == status_token(b"secret", appeal_id))
    assert token_matches(b"secret", appeal_id, status_token(b"secret", appeal_id))
