import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from appeals_routing.adapters.data_files import bundled, bundled_directory, read_directory, read_rule_set
from appeals_routing.domain import decisions
from appeals_routing.domain.model import AppealState, Assignment, RegisteredAppeal

DIRECTORY = read_directory(bundled_directory())
RULE_SET, _ = read_rule_set(bundled("rules.yaml"), DIRECTORY)
NOW = datetime(2026, 11, 24, tzinfo=UTC)
EXECUTORS = sorted(DIRECTORY.executors)


def appeal(**changes) -> RegisteredAppeal:
    base = dict(appeal_id=uuid.uuid4(), registration_number="OA-2026-00000001", kind="complaint",
                category="road_repair", district="almaly", anonymous=False, reports_crime_or_threat=False)
    return RegisteredAppeal(**{**base, **changes})


def route(a):
    return decisions.route(a, RULE_SET, kinds_without_executor=frozenset({"consultation"}), at=NOW)


def test_anonymous_appeals_follow_the_law():
    assert route(appeal(anonymous=True)) == decisions.DoNotRoute("anonymous_without_threat")
    threat = route(appeal(anonymous=True, reports_crime_or_threat=True))
    assert threat.assignment.executor == "public_safety_dept" and threat.assignment.reason == "anonymous_policy"


def test_consultations_need_no_executor():
    assert route(appeal(kind="consultation")) == decisions.DoNotRoute("consultation")


def test_a_routed_appeal_records_the_rule():
    decision = route(appeal())
    assert decision.assignment.rule_id == "road_repair" and decision.assignment.rule_set_version == RULE_SET.version


def state(executor: str = "mobility_dept", status: str = "assigned") -> AppealState:
    return AppealState(uuid.uuid4(), "OA-2026-00000001", "road_repair", "almaly", status, executor,
                       (Assignment(executor, "routing_rule", NOW, rule_id="road_repair"),))


def test_only_the_current_assignee_of_an_open_appeal_may_answer():
    assert decisions.check_answer(state(), "mobility_dept") is None
    assert decisions.check_answer(state(status="answered"), "mobility_dept") is None
    assert "assigned to mobility_dept" in decisions.check_answer(state(), "medeu_akimat").reason
    assert decisions.check_answer(state(status="closed"), "mobility_dept").reason == "the appeal is closed"
    assert decisions.check_answer(None, "mobility_dept").reason == "unknown appeal"


@given(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(EXECUTORS + ["nonexistent"])),
                          st.text(min_size=1).filter(str.strip)), min_size=1, max_size=8))
def test_reassignment_never_loses_history(steps):
    current = state()
    for suggested, reason in steps:
        result = decisions.reassign(current, current.executor, suggested, reason, DIRECTORY, RULE_SET, NOW)
        if isinstance(result, decisions.Refused):
            assert current.executor == RULE_SET.triage_executor
            continue
        assert result.history[:-1] == current.history
        last = result.history[-1]
        assert last.previous_executor == current.executor and last.executor == result.executor
        assert result.executor != current.executor
        assert result.executor == suggested or result.executor == RULE_SET.triage_executor
        current = result


def test_an_invalid_suggestion_goes_to_triage():
    result = decisions.reassign(state(), "mobility_dept", "nonexistent", "not ours", DIRECTORY, RULE_SET, NOW)
    assert result.executor == "open_almaty_triage"
