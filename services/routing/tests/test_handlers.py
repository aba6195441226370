"""Routing's use cases through a hand-written fake unit of work (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals_contracts.events import AnswerAccepted, AnswerReturned, CitizenVerdict, ExecutorAnswerSubmitted
from appeals_contracts.reference import load_reference
from appeals_routing import handlers
from appeals_routing.domain import decisions
from appeals_runtime.errors import NotBelieved
from appeals_routing.adapters.data_files import bundled, bundled_directory, read_directory, read_rule_set
from appeals_routing.domain.model import AppealState, Employee, RegisteredAppeal
from routing_fakes import FakeUnitOfWork

DIRECTORY = read_directory(bundled_directory())
RULE_SET, CHECKSUM = read_rule_set(bundled("rules.yaml"), DIRECTORY)
REF = load_reference()
NOW = datetime(2026, 11, 24, tzinfo=UTC)


async def loaded() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    await handlers.load_rules(uow, DIRECTORY, RULE_SET, CHECKSUM, categories=REF.categories.codes,
                              districts=REF.districts.codes)
    return uow


def registered(**changes) -> RegisteredAppeal:
    base = dict(appeal_id=uuid.uuid4(), registration_number="OA-2026-00000007", kind="complaint",
                category="landscaping", district="turksib", anonymous=False, reports_crime_or_threat=False)
    return RegisteredAppeal(**{**base, **changes})


async def route(uow, *appeals):
    return await handlers.route_registered(uow, list(appeals), kinds_without_executor=frozenset({"consultation"}),
                                           now=NOW)


async def test_each_appeal_is_routed_once_even_when_redelivered():
    uow = await loaded()
    appeal = registered()
    await route(uow, appeal, appeal)
    await route(uow, appeal)
    assert uow.announced == [("appeal.assigned", "turksib_akimat")]


async def test_not_routed_decisions_are_announced():
    uow = await loaded()
    await route(uow, registered(anonymous=True), registered(kind="consultation"))
    assert uow.announced == [("appeal.not_routed", None), ("appeal.not_routed", None)]


async def test_answer_then_verdicts_move_the_appeal():
    uow = await loaded()
    appeal = registered()
    await route(uow, appeal)
    answer = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=appeal.appeal_id,
                                     executor_code="turksib_akimat", employee_id="t-1", text="Benches installed.",
                                     language="kk", submitted_at=NOW)
    assert await handlers.handle_action(uow, answer, directory=DIRECTORY, now=NOW) is None
    assert uow.routing.states[appeal.appeal_id].status == "answered"
    common = dict(appeal_id=appeal.appeal_id, answer_id=answer.action_id, executor_code="turksib_akimat",
                  employee_id="t-1", inspector_id="i-1", decided_at=NOW)
    await handlers.apply_verdict(uow, AnswerReturned(**common, reason_code="formal_reply"))
    assert uow.routing.states[appeal.appeal_id].status == "assigned"
    await handlers.apply_verdict(uow, AnswerAccepted(**common, answer_text="x", answer_language="kk",
                                                     answer_submitted_at=NOW))
    assert uow.routing.states[appeal.appeal_id].status == "closed"
    refusal = await handlers.handle_action(uow, answer, directory=DIRECTORY, now=NOW)
    assert refusal == "the appeal is closed"
    assert [(e.actor, e.role, e.outcome) for e in uow.audited] == [
        ("t-1", "executor", "answered"), ("t-1", "executor", "refused: the appeal is closed")]
    assert uow.announced[-1] == ("executor.action_rejected", None)


async def test_an_older_or_repeated_rule_version_is_handled():
    uow = await loaded()
    assert "already loaded" in await handlers.load_rules(
        uow, DIRECTORY, RULE_SET, CHECKSUM, categories=REF.categories.codes, districts=REF.districts.codes)
    with pytest.raises(handlers.RulesRefused, match="not newer"):
        await handlers.load_rules(uow, DIRECTORY, RULE_SET, "another checksum",
                                  categories=REF.categories.codes, districts=REF.districts.codes)


def test_a_malformed_action_is_identified_when_it_names_an_action_id():
    action_id, appeal_id = uuid.uuid4(), uuid.uuid4()
    assert handlers.action_identity(
        f'{{"action_id": "{action_id}", "appeal_id": "{appeal_id}", "executor_code": "x", "text": 5}}'.encode()
    ) == (action_id, appeal_id, "x", "unknown")
    assert handlers.action_identity(f'{{"action_id": "{action_id}", "appeal_id": 7}}'.encode())[1] is None
    assert handlers.action_identity(b"{not json") is None
    assert handlers.action_identity(b'{"appeal_id": "x"}') is None


async def test_the_platform_clock_decides_and_an_impossible_portal_time_is_refused():
    uow = await loaded()
    appeal = registered(case={"registered_at": "2026-11-20T09:00:00+00:00"})
    await route(uow, appeal)

    def answer(at: datetime) -> ExecutorAnswerSubmitted:
        return ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=appeal.appeal_id,
                                       executor_code="turksib_akimat", employee_id="t-1", text="Done.",
                                       language="ru", submitted_at=at)

    backdated = await handlers.handle_action(uow, answer(datetime(2020, 1, 1, tzinfo=UTC)), directory=DIRECTORY,
                                             now=NOW)
    assert backdated is not None and "before the appeal was registered" in backdated
    future = await handlers.handle_action(uow, answer(NOW + timedelta(days=1)), directory=DIRECTORY, now=NOW)
    assert future is not None and "later than the platform's clock" in future
    assert uow.routing.states[appeal.appeal_id].status == "assigned"
    assert await handlers.handle_action(uow, answer(NOW + timedelta(minutes=1)), directory=DIRECTORY, now=NOW) is None
    assert uow.received_at == NOW  # the act's time is routing's clock, not the portal's


@given(claimed=st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)))
def test_a_portal_time_is_believable_only_between_registration_and_receipt(claimed):
    registered_at = datetime(2026, 11, 20, 9, tzinfo=UTC)
    state = AppealState(uuid.uuid4(), "OA-2026-00000001", "landscaping", None, "assigned", "turksib_akimat",
                        case={"registered_at": registered_at.isoformat()})
    problem = decisions.claimed_time_problem(state, claimed, NOW)
    assert (problem is None) == (registered_at <= claimed <= NOW + decisions.CLOCK_TOLERANCE)


async def test_a_verdict_naming_an_executor_that_never_held_the_appeal_reopens_nothing():
    uow = await loaded()
    appeal = registered()
    await route(uow, appeal)
    await handlers.apply_verdict(uow, AnswerAccepted(
        appeal_id=appeal.appeal_id, answer_id=uuid.uuid4(), executor_code="turksib_akimat", employee_id="t-1",
        inspector_id="i-1", decided_at=NOW, answer_text="x", answer_language="kk", answer_submitted_at=NOW))
    assert uow.routing.states[appeal.appeal_id].status == "closed"

    def verdict(executor: str) -> CitizenVerdict:
        return CitizenVerdict(appeal_id=appeal.appeal_id, registration_number="OA-2026-00000007",
                              answer_id=uuid.uuid4(), executor_code=executor, resolved=False, given_at=NOW)

    with pytest.raises(NotBelieved, match="never held"):
        await handlers.reopen(uow, verdict("medeu_akimat"), directory=DIRECTORY, now=NOW)
    assert uow.routing.states[appeal.appeal_id].status == "closed"
    await handlers.reopen(uow, verdict("turksib_akimat"), directory=DIRECTORY, now=NOW)
    assert uow.routing.states[appeal.appeal_id].status == "assigned"
    assert uow.announced[-1] == ("appeal.reopened", "turksib_akimat")


async def test_an_employee_takes_an_appeal_and_only_the_head_gives_one_to_another():
    uow = await loaded()
    appeal = registered()
    await route(uow, appeal)
    me = Employee("turksib_akimat", "emp-1", "Dana")
    other = Employee("turksib_akimat", "emp-2", "Erlan")
    head = Employee("turksib_akimat", "head-1", "Head", head=True)
    for e in (me, other, head):
        await handlers.employee_seen(uow, e, now=NOW)
    assert await handlers.set_assignee(uow, appeal.appeal_id, "turksib_akimat", actor=me, employee_id="emp-2",
                                       now=NOW) == "only the organisation's head gives an appeal to another employee"
    assert await handlers.set_assignee(uow, appeal.appeal_id, "turksib_akimat", actor=me, employee_id="emp-1",
                                       now=NOW) is None
    assert await handlers.set_assignee(uow, appeal.appeal_id, "turksib_akimat", actor=head, employee_id="emp-2",
                                       now=NOW) is None
    assert uow.routing.states[appeal.appeal_id].assignee_id == "emp-2"
    assert await handlers.set_assignee(uow, appeal.appeal_id, "turksib_akimat", actor=head, employee_id="ghost",
                                       now=NOW) == ("that employee of the executor is not known: they sign in to "
                                                    "the workspace once first")
    stranger = Employee("medeu_akimat", "emp-9", "Other", head=True)
    assert await handlers.set_assignee(uow, appeal.appeal_id, "medeu_akimat", actor=stranger, employee_id="emp-9",
                                       now=NOW) == "the appeal is assigned to turksib_akimat, not to medeu_akimat"
    assert [a for a in uow.announced if a[0] == "appeal.assignee_changed"] == [
        ("appeal.assignee_changed", "emp-1"), ("appeal.assignee_changed", "emp-2")]
    assert [e.outcome for e in uow.audited][-1].startswith("refused: ")


async def test_a_reassignment_to_another_executor_leaves_nobody_responsible():
    uow = await loaded()
    appeal = registered()
    await route(uow, appeal)
    me = Employee("turksib_akimat", "emp-1", "Dana")
    await handlers.employee_seen(uow, me, now=NOW)
    await handlers.set_assignee(uow, appeal.appeal_id, "turksib_akimat", actor=me, employee_id="emp-1", now=NOW)
    await uow.routing.set_status(appeal.appeal_id, "assigned", "medeu_akimat")
    assert uow.routing.states[appeal.appeal_id].assignee_id is None
