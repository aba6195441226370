"""Where a newly registered appeal goes, and whether an executor's action is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from appeals_routing.domain.model import AppealState, Assignment, Directory, Employee, RegisteredAppeal, RuleSet
from appeals_routing.domain.rules import choose_rule


@dataclass(frozen=True)
class Route:
    assignment: Assignment


@dataclass(frozen=True)
class DoNotRoute:
    reason: str  # anonymous_without_threat, consultation


def route(appeal: RegisteredAppeal, rule_set: RuleSet, *, kinds_without_executor: frozenset[str],
          at: datetime) -> Route | DoNotRoute:
    """The routing decision for a registered appeal.

    Anonymous appeals are not routed for an answer unless they report a crime or a safety
    threat, in which case they go at once to the designated executor. Consultations are
    answered by the operator and need no executor.
    """
    if appeal.anonymous:
        if not appeal.reports_crime_or_threat:
            return DoNotRoute("anonymous_without_threat")
        return Route(Assignment(rule_set.anonymous_threat_executor, "anonymous_policy", at,
                                rule_set_version=rule_set.version))
    if appeal.kind in kinds_without_executor:
        return DoNotRoute("consultation")
    rule = choose_rule(rule_set.rules, appeal.category, appeal.district)
    return Route(Assignment(rule.executor, "routing_rule", at, rule_id=rule.rule_id,
                            rule_set_version=rule_set.version))


@dataclass(frozen=True)
class Refused:
    reason: str


def _holder_problem(state: AppealState | None, executor: str) -> str | None:
    if state is None:
        return "unknown appeal"
    if state.status == "not_routed":
        return "the appeal is not routed to an executor"
    if state.status == "merged":
        return "the appeal was merged into another; answer that one"
    if not state.is_open:
        return "the appeal is closed"
    if state.executor != executor:
        return f"the appeal is assigned to {state.executor}, not to {executor}"
    return None


#: How far ahead of the platform's clock a portal's own time of an act may be (clock drift).
CLOCK_TOLERANCE = timedelta(minutes=5)


def claimed_time_problem(state: AppealState | None, claimed: datetime, received: datetime) -> str | None:
    """Why a portal's own time of an act cannot be true: later than the moment routing received
    it, or earlier than the appeal's registration. The act is judged by ``received`` either way;
    a claim that cannot be true is refused so nobody reads it as the time of the act."""
    if claimed > received + CLOCK_TOLERANCE:
        return (f"the portal's time of the act ({claimed.isoformat()}) is later than the platform's clock "
                f"({received.isoformat()})")
    registered = state.registered_at if state is not None else None
    if registered is not None and claimed < registered:
        return (f"the portal's time of the act ({claimed.isoformat()}) is before the appeal was registered "
                f"({registered.isoformat()})")
    return None


def check_answer(state: AppealState | None, executor: str) -> Refused | None:
    """Only the current assignee of an open appeal may answer (a newer answer supersedes
    one still waiting for review)."""
    problem = _holder_problem(state, executor)
    return Refused(problem) if problem else None


def check_extension(state: AppealState | None, executor: str) -> Refused | None:
    """Only the current assignee of an open appeal may ask for more time."""
    problem = _holder_problem(state, executor)
    return Refused(problem) if problem else None


def reassign(state: AppealState | None, executor: str, suggested: str | None, reason: str,
             directory: Directory, rule_set: RuleSet, at: datetime) -> AppealState | Refused:
    """"Not our competence": move the appeal to the suggested executor if it is a valid
    other one, else to the triage desk. The history keeps every earlier assignment; the
    deadline clock is not restarted (the tracker does not listen to assignments)."""
    problem = _holder_problem(state, executor)
    if problem:
        return Refused(problem)
    assert state is not None
    if not reason.strip():
        return Refused("a reassignment request needs a reason")
    target = (suggested if suggested is not None and suggested != executor and directory.is_active(suggested)
              else rule_set.triage_executor)
    if target == executor:
        return Refused("the appeal is already with the triage desk; it cannot be passed to itself")
    entry = Assignment(target, "reassignment", at, previous_executor=executor,
                       rule_set_version=rule_set.version, note=reason[:500])
    return state.moved("assigned", target, entry)


def reopen(state: AppealState | None, answered_by: str, directory: Directory, rule_set: RuleSet,
           at: datetime) -> AppealState | None:
    """The citizen said "not resolved": a closed appeal opens again with the executor that
    answered (the triage desk when that one is no longer active). ``None`` when there is
    nothing to reopen (unknown, or not closed: a repeat of the verdict)."""
    if state is None or state.status != "closed":
        return None
    target = answered_by if directory.is_active(answered_by) else rule_set.triage_executor
    entry = Assignment(target, "reopened", at, previous_executor=state.executor, rule_set_version=rule_set.version,
                       note="the citizen said the answer did not resolve the matter")
    return state.moved("assigned", target, entry)


def assignee_refusal(state: AppealState | None, executor: str, actor: Employee, assignee: Employee | None) -> str | None:
    """Why ``actor`` may not make ``assignee`` responsible for the appeal, if they may not: the
    appeal must be open with ``actor``'s executor; an employee takes an appeal for themselves,
    only the head gives one to another employee of the same executor."""
    if actor.executor_code != executor:
        return f"{actor.employee_id} is not an employee of {executor}"
    problem = _holder_problem(state, executor)
    if problem:
        return problem
    if assignee is None or assignee.executor_code != executor:
        return "that employee of the executor is not known: they sign in to the workspace once first"
    if assignee.employee_id != actor.employee_id and not actor.head:
        return "only the organisation's head gives an appeal to another employee"
    return None
