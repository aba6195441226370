"""Inspection's use cases through a hand-written fake unit of work (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import (
    AppealAnswered,
    AppealAssigned,
    AppealRegistered,
    CitizenVerdict,
    DeadlineBreached,
    DeadlineExtended,
    DeadlineScheduled,
)
from appeals_inspection import handlers
from appeals_inspection.entrypoints.http import MERGE_STATUS
from appeals_inspection.domain.review import Verdict, VerdictRefused
from appeals_runtime.errors import NotBelieved
from inspection_fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
REASONS = frozenset({"formal_reply", "incomplete"})


async def apply(uow, event) -> None:
    await handlers.on_event(uow, Envelope.wrap(event, source="/test", subject=str(event.appeal_id), time=NOW), event)


async def answered_appeal(uow) -> tuple[uuid.UUID, uuid.UUID]:
    appeal, answer = uuid.uuid4(), uuid.uuid4()
    await apply(uow, AppealRegistered(
        appeal_id=appeal, registration_number="OA-2026-00000001", channel="portal", channel_message_id="m-1",
        kind="complaint", category="landscaping", district="almaly", text="Broken bench in the park.", language="ru",
        anonymous=True, submitted_at=NOW, registered_at=NOW))
    await apply(uow, AppealAssigned(appeal_id=appeal, registration_number="OA-2026-00000001",
                                    executor_code="almaly_akimat", reason="routing_rule", category="landscaping",
                                    district="almaly", assigned_at=NOW))
    await apply(uow, AppealAnswered(appeal_id=appeal, answer_id=answer, executor_code="almaly_akimat",
                                    employee_id="e-7", text="The bench was repaired.", language="ru",
                                    submitted_at=NOW + timedelta(days=2)))
    return appeal, answer


async def test_events_build_the_read_model_and_queue_the_answer():
    uow = FakeUnitOfWork()
    appeal, answer = await answered_appeal(uow)
    assert uow.model.appeals[appeal]["executor_code"] == "almaly_akimat"
    assert uow.model.answers[answer]["status"] == "waiting"
    assert set(uow.model.locked) == {appeal}, "every event locks its appeal first (one at a time per appeal)"


async def test_an_answer_from_an_executor_that_never_held_the_appeal_is_not_believed():
    uow = FakeUnitOfWork()
    appeal, answer = await answered_appeal(uow)
    forged = AppealAnswered(appeal_id=appeal, answer_id=uuid.uuid4(), executor_code="medeu_akimat", employee_id="x",
                            text="Done.", language="ru", submitted_at=NOW, received_at=NOW)
    with pytest.raises(NotBelieved, match="held by 'almaly_akimat'"):
        await apply(uow, forged)
    assert forged.answer_id not in uow.model.answers and uow.model.answers[answer]["status"] == "waiting"
    await apply(uow, AppealAssigned(appeal_id=appeal, registration_number="OA-2026-00000001",
                                    executor_code="medeu_akimat", previous_executor_code="almaly_akimat",
                                    reason="reassignment", category="landscaping", district="almaly",
                                    assigned_at=NOW))
    await apply(uow, forged)  # once the appeal is theirs, their answer is believed
    assert uow.model.answers[forged.answer_id]["status"] == "waiting"


async def test_the_answer_is_timed_by_routing_s_receipt_not_the_portal_s_claim():
    uow = FakeUnitOfWork()
    appeal, _ = await answered_appeal(uow)
    answer = AppealAnswered(appeal_id=appeal, answer_id=uuid.uuid4(), executor_code="almaly_akimat", employee_id="e",
                            text="Done.", language="ru", submitted_at=NOW, received_at=NOW + timedelta(days=9))
    await apply(uow, answer)
    stored = uow.model.answers[answer.answer_id]
    assert (stored["submitted_at"], stored["portal_submitted_at"]) == (NOW + timedelta(days=9), NOW)


async def test_a_verdict_on_an_unknown_answer_is_not_believed():
    uow = FakeUnitOfWork()
    appeal, answer = await answered_appeal(uow)
    with pytest.raises(NotBelieved, match="does not know"):
        await apply(uow, CitizenVerdict(appeal_id=appeal, answer_id=uuid.uuid4(), executor_code="almaly_akimat",
                                        registration_number="OA-2026-00000001", resolved=False, given_at=NOW))
    with pytest.raises(NotBelieved, match="names executor"):
        await apply(uow, CitizenVerdict(appeal_id=appeal, answer_id=answer, executor_code="medeu_akimat",
                                        registration_number="OA-2026-00000001", resolved=False, given_at=NOW))


async def test_accepting_closes_the_appeal_and_announces_the_answer():
    uow = FakeUnitOfWork()
    appeal, answer = await answered_appeal(uow)
    result = await handlers.decide(uow, answer, Verdict(True, "insp-1"), return_reasons=REASONS, now=NOW)
    assert result["status"] == "accepted" and uow.model.appeals[appeal]["status"] == "closed"
    [accepted] = uow.announced
    assert accepted.event_type == "inspection.answer_accepted"
    assert (accepted.inspector_id, accepted.employee_id, accepted.answer_text) == ("insp-1", "e-7",
                                                                                   "The bench was repaired.")
    [entry] = uow.audited
    assert (entry.actor, entry.role, entry.action, entry.appeal_id, entry.outcome) == (
        "insp-1", "inspector", "accept", appeal, "accepted")
    assert entry.details["employee_id"] == "e-7"


async def test_returning_needs_a_known_reason_and_a_decided_answer_is_a_conflict():
    uow = FakeUnitOfWork()
    _, answer = await answered_appeal(uow)
    with pytest.raises(VerdictRefused) as unknown:
        await handlers.decide(uow, answer, Verdict(False, "insp-1", "rude"), return_reasons=REASONS, now=NOW)
    assert not unknown.value.conflict and uow.announced == []
    await handlers.decide(uow, answer, Verdict(False, "insp-1", "incomplete", "add the date"),
                          return_reasons=REASONS, now=NOW)
    assert uow.announced[0].event_type == "inspection.answer_returned"
    with pytest.raises(VerdictRefused) as again:
        await handlers.decide(uow, answer, Verdict(True, "insp-2"), return_reasons=REASONS, now=NOW)
    assert again.value.conflict and len(uow.announced) == 1


async def test_a_newer_answer_supersedes_the_waiting_one():
    uow = FakeUnitOfWork()
    appeal, first = await answered_appeal(uow)
    second = uuid.uuid4()
    await apply(uow, AppealAnswered(appeal_id=appeal, answer_id=second, executor_code="almaly_akimat",
                                    employee_id="e-8", text="Repaired and painted.", language="ru", submitted_at=NOW))
    with pytest.raises(VerdictRefused, match="superseded"):
        await handlers.decide(uow, first, Verdict(True, "insp-1"), return_reasons=REASONS, now=NOW)


async def test_an_answer_that_crossed_the_acceptance_on_its_way_is_not_accepted_too():
    """The executor answered again while the inspector was accepting the first answer: routing
    took the second (the appeal was still open there), and it reached inspection after the
    acceptance. Found by the chaos suite on Apache Kafka: both were accepted."""
    uow = FakeUnitOfWork()
    appeal, first = await answered_appeal(uow)
    accepted_at = NOW + timedelta(days=3)
    await handlers.decide(uow, first, Verdict(True, "insp-1"), return_reasons=REASONS, now=accepted_at)
    crossed = AppealAnswered(appeal_id=appeal, answer_id=uuid.uuid4(), executor_code="almaly_akimat",
                             employee_id="e-8", text="Repaired.", language="ru", submitted_at=accepted_at,
                             received_at=accepted_at - timedelta(seconds=1))
    await apply(uow, crossed)
    assert uow.model.answers[crossed.answer_id]["status"] == "superseded"
    assert uow.model.answers[first]["status"] == "accepted", "the accepted answer stands"
    with pytest.raises(VerdictRefused, match="superseded") as refused:
        await handlers.decide(uow, crossed.answer_id, Verdict(True, "insp-2"), return_reasons=REASONS,
                              now=accepted_at + timedelta(seconds=2))
    assert refused.value.conflict
    assert [e.event_type for e in uow.announced] == ["inspection.answer_accepted"]


async def test_a_waiting_answer_of_an_appeal_closed_meanwhile_is_a_conflict():
    uow = FakeUnitOfWork()
    appeal, first = await answered_appeal(uow)
    uow.model.appeals[appeal]["status"] = "closed"  # another answer accepted in between
    with pytest.raises(VerdictRefused, match="closed by another accepted answer") as refused:
        await handlers.decide(uow, first, Verdict(True, "insp-1"), return_reasons=REASONS, now=NOW)
    assert refused.value.conflict and uow.announced == []


async def test_a_breach_opens_an_escalation_that_acceptance_closes():
    uow = FakeUnitOfWork()
    appeal, answer = await answered_appeal(uow)
    due = NOW + timedelta(days=15)
    await apply(uow, DeadlineBreached(appeal_id=appeal, due_at=due, breached_at=due))
    assert uow.model.escalations[appeal]["closed_at"] is None
    await handlers.decide(uow, answer, Verdict(True, "insp-1"), return_reasons=REASONS, now=due + timedelta(days=1))
    assert uow.model.escalations[appeal]["closed_at"] == due + timedelta(days=1)


APPEALS = [uuid.UUID(int=i + 1) for i in range(3)]


def _event(kind: str, appeal: uuid.UUID, n: int, holder: str = "almaly_akimat"):
    at = NOW + timedelta(minutes=n)
    if kind == "registered":  # an appeal is registered once: a copy says the same (district may be unknown)
        return AppealRegistered(appeal_id=appeal, registration_number=f"OA-2026-0000000{n % 10}", channel="portal",
                                channel_message_id=f"m-{n}", kind="complaint", category="landscaping",
                                district=None if appeal == APPEALS[0] else "almaly", text="A bench.", language="ru",
                                anonymous=True,
                                submitted_at=at, registered_at=at)
    if kind == "assigned":
        return AppealAssigned(appeal_id=appeal, registration_number="OA-2026-00000001",
                              executor_code=("almaly_akimat", "medeu_akimat")[n % 2], reason="routing_rule",
                              category="landscaping", district="almaly", assigned_at=at)
    if kind == "scheduled":
        return DeadlineScheduled(appeal_id=appeal, policy_code="p", regime="seed", due_at=NOW + timedelta(days=n),
                                 reminders_at=(), scheduled_at=at)
    if kind == "extended":
        return DeadlineExtended(appeal_id=appeal, previous_due_at=NOW, due_at=NOW + timedelta(days=n % 7),
                                reason="r", extended_at=at)
    return AppealAnswered(appeal_id=appeal, answer_id=uuid.UUID(int=1000 + n), executor_code=holder,
                          employee_id="e-1", text="Done.", language="ru", submitted_at=at)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["registered", "assigned", "scheduled", "extended", "answered"]),
                          st.sampled_from(APPEALS)), min_size=1, max_size=14),
       st.integers(min_value=1, max_value=6))
async def test_a_batch_builds_the_read_model_one_event_at_a_time_would(stream, batch_size):
    items = []
    holders: dict[uuid.UUID, str] = {}
    for n, (kind, appeal) in enumerate(stream):
        event = _event(kind, appeal, n, holders.get(appeal, "almaly_akimat"))  # routing lets only the holder answer
        if isinstance(event, AppealAssigned):
            holders[appeal] = event.executor_code
        items.append((Envelope.wrap(event, source="/test", subject=str(appeal), time=NOW), event))
    one, batched = FakeUnitOfWork(), FakeUnitOfWork()
    for envelope, event in items:
        await handlers.on_event(one, envelope, event)
    for i in range(0, len(items), batch_size):
        await handlers.on_events(batched, items[i:i + batch_size])
    assert batched.model.appeals == one.model.appeals
    assert batched.model.assignments == one.model.assignments and batched.model.answers == one.model.answers


def _appeal(uow, number, *, executor="medeu_akimat", category="road_repair", status="open"):
    appeal_id = uuid.uuid4()
    uow.model.appeals[appeal_id] = {"appeal_id": appeal_id, "registration_number": number, "status": status,
                                    "executor_code": executor, "category": category, "merged_into": None}
    return appeal_id


async def test_duplicates_merge_into_an_open_original_and_get_its_answer():
    uow = FakeUnitOfWork()
    inspector = handlers.Decider("insp-1", "inspector")
    original, a, b = (_appeal(uow, f"OA-2026-0000000{i}") for i in (1, 2, 3))
    for dup in (a, b):
        assert (await handlers.merge(uow, dup, original, by=inspector, now=NOW))["status"] == "merged"
    assert [e.event_type for e in uow.announced] == ["inspection.appeal_merged"] * 2
    answer_id = uuid.uuid4()
    uow.model.answers[answer_id] = {"answer_id": answer_id, "appeal_id": original, "executor_code": "medeu_akimat",
                                    "employee_id": "e-1", "text": "Repaired.", "language": "ru",
                                    "submitted_at": NOW, "status": "waiting"}
    await handlers.decide(uow, answer_id, Verdict(True, "insp-1"), return_reasons=frozenset(), now=NOW)
    shared = [e for e in uow.announced if e.event_type == "inspection.answer_shared"]
    assert sorted(e.appeal_id for e in shared) == sorted([a, b]) and {e.answer_text for e in shared} == {"Repaired."}
    assert all(e.original_registration_number == "OA-2026-00000001" for e in shared)


async def test_merging_is_refused_with_the_reason():
    uow = FakeUnitOfWork()
    inspector = handlers.Decider("insp-1", "inspector")
    original, dup = _appeal(uow, "OA-2026-00000001"), _appeal(uow, "OA-2026-00000002")
    other_category = _appeal(uow, "OA-2026-00000003", category="education")
    closed = _appeal(uow, "OA-2026-00000004", status="closed")
    elsewhere = _appeal(uow, "OA-2026-00000005", executor="turksib_akimat")
    cases = [((dup, dup, inspector), 422), ((dup, uuid.uuid4(), inspector), 404),
             ((other_category, original, inspector), 422), ((closed, original, inspector), 409),
             ((dup, closed, inspector), 409),
             ((elsewhere, original, handlers.Decider("e-1", "executor", "medeu_akimat")), 403)]
    for (d, into, by), status in cases:
        try:
            await handlers.merge(uow, d, into, by=by, now=NOW)
        except handlers.MergeRefused as refused:
            assert MERGE_STATUS[refused.refusal.why] == status, (d, into, refused.refusal.reason)
        else:
            raise AssertionError(f"merged {d} into {into}")
    executor = handlers.Decider("e-1", "executor", "medeu_akimat")
    with pytest.raises(handlers.MergeRefused, match="linked as a possible duplicate") as not_linked:
        await handlers.merge(uow, dup, original, by=executor, now=NOW)  # both its own, but never linked
    assert not_linked.value.refusal.why == "not_linked" and uow.model.appeals[dup]["status"] == "open"
    await uow.model.possible_duplicate(dup, original, "place", 12.0, NOW)
    await handlers.merge(uow, dup, original, by=executor, now=NOW)
    assert (await handlers.unmerge(uow, dup, by=executor, now=NOW))["status"] == "open"
    await handlers.merge(uow, dup, original, by=executor, now=NOW)
    uow.model.appeals[original]["status"] = "closed"  # the original answered: too late to unmerge
    try:
        await handlers.unmerge(uow, dup, by=inspector, now=NOW)
    except handlers.MergeRefused as refused:
        assert refused.refusal.why == "original_answered"
    else:
        raise AssertionError("unmerged after the answer")


async def test_an_answer_before_its_assignment_in_one_batch_is_believed():
    uow = FakeUnitOfWork()
    appeal, _ = await answered_appeal(uow)  # held by almaly_akimat
    moved = AppealAssigned(appeal_id=appeal, registration_number="OA-2026-00000001", executor_code="medeu_akimat",
                           previous_executor_code="almaly_akimat", reason="reassignment", category="landscaping",
                           district="almaly", assigned_at=NOW)
    answer = AppealAnswered(appeal_id=appeal, answer_id=uuid.uuid4(), executor_code="medeu_akimat", employee_id="m",
                            text="Done.", language="ru", submitted_at=NOW, received_at=NOW)
    batch = [(Envelope.wrap(e, source="/test", subject=str(appeal), time=NOW), e) for e in (answer, moved)]
    await handlers.on_events(uow, batch)  # another topic's record, later in the batch
    assert uow.model.answers[answer.answer_id]["status"] == "waiting"
