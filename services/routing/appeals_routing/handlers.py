"""Routing's use cases as plain async functions over a unit of work."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from appeals_contracts.languages import LANGUAGES
from appeals_contracts.events import (
    AnswerAccepted,
    AnswerReturned,
    AppealMerged,
    AppealUnmerged,
    CitizenVerdict,
    DuplicateLinked,
    ExecutorAnswerSubmitted,
    ExecutorExtensionRequested,
    ExecutorReassignmentRequested,
    ReAppealLinked,
)
from appeals_routing.domain import decisions
from appeals_routing.domain.model import AppealState, Assignment, Directory, Employee, RegisteredAppeal, RuleSet
from appeals_routing.domain.rules import directory_problems, rule_set_problems
from appeals_runtime.audit import AuditEntry
from appeals_runtime.errors import NotBelieved

MAX_ANSWER = 20_000


ExecutorAction = ExecutorAnswerSubmitted | ExecutorReassignmentRequested | ExecutorExtensionRequested


class RoutingRepository(Protocol):
    async def current_rule_set(self) -> RuleSet | None: ...
    async def rule_set_checksum(self, version: int) -> str | None: ...
    async def directory(self) -> Directory: ...
    async def store_directory(self, directory: Directory) -> None: ...
    async def store_rule_set(self, rule_set: RuleSet, checksum: str) -> None: ...
    async def known(self, appeal_ids: Sequence[UUID]) -> set[UUID]: ...
    async def get_for_update(self, appeal_id: UUID) -> AppealState | None: ...
    async def add_appeals(self, states: Sequence[AppealState]) -> None: ...
    async def add_assignments(self, rows: Sequence[tuple[UUID, Assignment]]) -> None: ...
    async def set_status(self, appeal_id: UUID, status: str, executor: str | None) -> None: ...
    async def set_due_times(self, due: dict[UUID, tuple[datetime, str | None]]) -> None: ...
    async def add_possible_duplicates(self, links: Sequence[tuple[UUID, UUID, str, float | None]]) -> None: ...
    async def add_re_appeals(self, links: Sequence[tuple[UUID, UUID, str]]) -> None: ...
    async def employee(self, executor_code: str, employee_id: str) -> Employee | None: ...
    async def save_employee(self, employee: Employee, seen_at: datetime) -> None: ...
    async def set_assignee(self, appeal_id: UUID, employee: Employee, at: datetime) -> None: ...
    async def add_answer(self, action: ExecutorAnswerSubmitted, received_at: datetime) -> None: ...
    async def decide_answer(self, verdict: AnswerAccepted | AnswerReturned) -> None: ...


class UnitOfWork(Protocol):
    @property
    def routing(self) -> RoutingRepository: ...  # read-only, so an implementation may narrow it

    def assigned(self, state: AppealState, entry: Assignment, *, trace_context: object = None) -> None:
        """Announce an assignment (the executor in the ``ce_executor`` header)."""
        ...

    def not_routed(self, state: AppealState, reason: str, at: datetime, *, trace_context: object = None) -> None: ...

    def answered(self, action: ExecutorAnswerSubmitted, received_at: datetime) -> None:
        """Announce the checked answer, stamped with the time routing received it."""
        ...

    def reopened(self, state: AppealState, entry: Assignment, verdict: CitizenVerdict) -> None:
        """Announce the reopening (``appeal.reopened``, the executor in ``ce_executor``)."""
        ...

    def extension_requested(self, action: ExecutorExtensionRequested, received_at: datetime) -> None: ...

    def action_rejected(self, action_id: UUID, appeal_id: UUID | None, executor: str | None, action_type: str,
                        reason: str, at: datetime) -> None:
        """Tell the portal why its action was refused."""
        ...

    def audit(self, entry: AuditEntry) -> None:
        """Record an employee's decision in the audit trail, in this transaction."""
        ...

    def assignee_changed(self, state: AppealState, employee: Employee, by: str, at: datetime) -> None:
        """Announce the employee now responsible for the appeal (``appeal.assignee_changed``)."""
        ...


class RulesRefused(ValueError):
    """A directory or rule set was refused; nothing was stored."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


async def load_rules(uow: UnitOfWork, directory: Directory, rule_set: RuleSet, checksum: str, *,
                     categories: frozenset[str], districts: frozenset[str]) -> str:
    """Validate and store a directory and rule set; returns what happened. A rule change
    applies to appeals routed from now on; existing assignments keep their rule."""
    problems = directory_problems(directory) + rule_set_problems(rule_set, directory, categories, districts)
    if problems:
        raise RulesRefused(problems)
    current = await uow.routing.current_rule_set()
    if current is not None and rule_set.version <= current.version:
        if rule_set.version == current.version and await uow.routing.rule_set_checksum(current.version) == checksum:
            await uow.routing.store_directory(directory)
            return f"rules version {current.version} already loaded; directory version {directory.version} stored"
        raise RulesRefused([f"rules version {rule_set.version} is not newer than the stored version "
                            f"{current.version}; raise 'version' in the file"])
    await uow.routing.store_directory(directory)
    await uow.routing.store_rule_set(rule_set, checksum)
    return f"loaded rules version {rule_set.version} ({len(rule_set.rules)} rules), directory version {directory.version}"


async def route_registered(uow: UnitOfWork, appeals: Sequence[RegisteredAppeal], *, kinds_without_executor: frozenset[str],
                           now: datetime) -> list[AppealState]:
    """Decide, store and announce where each newly registered appeal goes."""
    rule_set = await uow.routing.current_rule_set()
    if rule_set is None:
        raise RuntimeError("no routing rules loaded")
    known = await uow.routing.known([a.appeal_id for a in appeals])
    states: list[AppealState] = []
    for appeal in appeals:
        if appeal.appeal_id in known:
            continue
        known.add(appeal.appeal_id)
        decision = decisions.route(appeal, rule_set, kinds_without_executor=kinds_without_executor, at=now)
        if isinstance(decision, decisions.Route):
            entry = decision.assignment
            state = AppealState(appeal.appeal_id, appeal.registration_number, appeal.category, appeal.district,
                                "assigned", entry.executor, (entry,), case=appeal.case)
            uow.assigned(state, entry, trace_context=appeal.context)
        else:
            state = AppealState(appeal.appeal_id, appeal.registration_number, appeal.category, appeal.district,
                                "not_routed", None, case=appeal.case)
            uow.not_routed(state, decision.reason, now, trace_context=appeal.context)
        states.append(state)
    await uow.routing.add_appeals(states)
    return states


async def handle_action(uow: UnitOfWork, action: ExecutorAction, *, directory: Directory, now: datetime,
                        not_authentic: str | None = None) -> str | None:
    """Check an executor's action and turn it into platform events; returns the refusal
    reason, if any (announced back to the portal; nothing else changes). ``not_authentic``
    says why the action is not the named executor's own (its signature), if it is not.
    ``now`` is the platform's clock as routing receives the action: the time of the act
    that the deadline tracker, inspection and the reports judge."""
    state = await uow.routing.get_for_update(action.appeal_id)
    refusal = _action_refusal(state, action, directory, not_authentic, now)
    done = ""
    if refusal is None and isinstance(action, ExecutorAnswerSubmitted):
        await uow.routing.set_status(action.appeal_id, "answered", action.executor_code)
        await uow.routing.add_answer(action, now)
        uow.answered(action, now)
        done = "answered"
    elif refusal is None and isinstance(action, ExecutorExtensionRequested):
        uow.extension_requested(action, now)
        done = "extension requested"
    elif refusal is None and isinstance(action, ExecutorReassignmentRequested):
        rule_set = await uow.routing.current_rule_set()
        result = decisions.Refused("no routing rules are loaded") if rule_set is None else decisions.reassign(
            state, action.executor_code, action.suggested_executor_code, action.reason, directory, rule_set, now)
        if isinstance(result, decisions.Refused):
            refusal = result.reason
        else:
            entry = result.history[-1]
            await uow.routing.add_assignments([(result.appeal_id, entry)])
            await uow.routing.set_status(result.appeal_id, "assigned", entry.executor)
            uow.assigned(result, entry)
            done = f"reassigned to {entry.executor}"
    if refusal is not None:
        uow.action_rejected(action.action_id, action.appeal_id, action.executor_code, action.event_type, refusal, now)
    uow.audit(AuditEntry(
        actor=action.employee_id or "?", role="executor", action=action.event_type, appeal_id=action.appeal_id,
        outcome=f"refused: {refusal}" if refusal else done, at=now,
        details={"executor_code": action.executor_code, "action_id": str(action.action_id)}))
    return refusal


def _action_refusal(state: AppealState | None, action: ExecutorAction, directory: Directory,
                    not_authentic: str | None, received: datetime) -> str | None:
    if action.executor_code not in directory.executors:
        return f"unknown executor {action.executor_code!r}"
    if not_authentic is not None:
        return not_authentic
    if not action.employee_id.strip():
        return "employee_id is required: answers are the responsibility of a named employee"
    claimed = action.submitted_at if isinstance(action, ExecutorAnswerSubmitted) else action.requested_at
    if problem := decisions.claimed_time_problem(state, claimed, received):
        return problem
    if isinstance(action, ExecutorAnswerSubmitted):
        if not action.text.strip() or len(action.text) > MAX_ANSWER:
            return f"answer text must be 1-{MAX_ANSWER} characters"
        if action.language not in LANGUAGES:
            return "language must be one of kk, ru, en"
        refused = decisions.check_answer(state, action.executor_code)
    elif isinstance(action, ExecutorExtensionRequested):
        if not action.reason.strip():
            return "an extension request needs a reason"
        refused = decisions.check_extension(state, action.executor_code)
    else:
        refused = None
        if state is None:
            return "unknown appeal"
    return refused.reason if refused else None


def action_identity(value: bytes | None) -> tuple[UUID, UUID | None, str | None, str] | None:
    """(action id, appeal id, executor code, action type) of a malformed action, as far as
    they can be read; ``None`` without a usable action id (then nobody can be answered)."""
    try:
        data = json.loads(value or b"")
        action_id = UUID(str(data["action_id"]))
    except (ValueError, KeyError, TypeError):
        return None
    try:
        appeal_id = UUID(str(data.get("appeal_id")))
    except ValueError:
        appeal_id = None
    executor = data.get("executor_code") if isinstance(data.get("executor_code"), str) else None
    return action_id, appeal_id, executor, "unknown"


async def refuse_malformed_action(uow: UnitOfWork, value: bytes | None, reason: str, *, now: datetime) -> None:
    """A portal sent something that is not a valid action: if it names an action id, tell
    the portal why (the record itself goes to the dead-letter topic)."""
    fields = action_identity(value)
    if fields is not None:
        uow.action_rejected(*fields, f"malformed action: {reason}", now)


async def reopen(uow: UnitOfWork, verdict: CitizenVerdict, *, directory: Directory, now: datetime) -> None:
    """A citizen's "not resolved" reopens the closed appeal with the same executor (an
    assignment with reason ``reopened``, announced as ``appeal.reopened`` with the case)."""
    if verdict.resolved:
        return
    rule_set = await uow.routing.current_rule_set()
    assert rule_set is not None
    current = await uow.routing.get_for_update(verdict.appeal_id)
    if current is not None and current.status == "closed" \
            and verdict.executor_code not in {entry.executor for entry in current.history}:
        raise NotBelieved(f"appeal.citizen_verdict names executor {verdict.executor_code!r}, which never held appeal "
                          f"{verdict.appeal_id}: it would reopen the appeal with an executor chosen by the sender")
    state = decisions.reopen(current, verdict.executor_code, directory, rule_set, now)
    if state is None:
        return
    entry = state.history[-1]
    await uow.routing.add_assignments([(state.appeal_id, entry)])
    await uow.routing.set_status(state.appeal_id, "assigned", entry.executor)
    uow.reopened(state, entry, verdict)


async def apply_merge(uow: UnitOfWork, event: AppealMerged | AppealUnmerged) -> None:
    """A merged duplicate takes no executor action (status ``merged``); an unmerge opens it again."""
    state = await uow.routing.get_for_update(event.appeal_id)
    if state is None:
        return
    if isinstance(event, AppealMerged) and state.is_open:
        await uow.routing.set_status(state.appeal_id, "merged", state.executor)
    elif isinstance(event, AppealUnmerged) and state.status == "merged":
        await uow.routing.set_status(state.appeal_id, "assigned", state.executor)


async def record_links(uow: UnitOfWork, links: Sequence[DuplicateLinked | ReAppealLinked]) -> None:
    """Keep intake's links between appeals (possible duplicates, re-appeals), shown to the
    executor with the case."""
    duplicates = [(e.appeal_id, e.original_appeal_id, e.matched_by, e.distance_m)
                  for e in links if isinstance(e, DuplicateLinked)]
    if duplicates:
        await uow.routing.add_possible_duplicates(duplicates)
    re_appeals = [(e.appeal_id, e.earlier_appeal_id, e.matched_by) for e in links if isinstance(e, ReAppealLinked)]
    if re_appeals:
        await uow.routing.add_re_appeals(re_appeals)


async def employee_seen(uow: UnitOfWork, employee: Employee, *, now: datetime) -> None:
    """An employee signed in to the workspace: known from now on (the head gives appeals to
    the employees it knows), named as their token names them."""
    await uow.routing.save_employee(employee, now)


async def set_assignee(uow: UnitOfWork, appeal_id: UUID, executor_code: str, *, actor: Employee, employee_id: str,
                       now: datetime) -> str | None:
    """Make an employee responsible for an open appeal of their executor: an employee takes it,
    the head gives it. Returns the refusal, if any; otherwise it is stored, audited and announced."""
    state = await uow.routing.get_for_update(appeal_id)
    assignee = actor if employee_id == actor.employee_id else await uow.routing.employee(executor_code, employee_id)
    refusal = decisions.assignee_refusal(state, executor_code, actor, assignee)
    if refusal is None:
        assert state is not None and assignee is not None
        if state.assignee_id == assignee.employee_id:
            return None  # already theirs: nothing changes, nothing is announced again
        await uow.routing.set_assignee(appeal_id, assignee, now)
        uow.assignee_changed(state, assignee, actor.employee_id, now)
    uow.audit(AuditEntry(actor=actor.employee_id, role="executor", action="assignee", appeal_id=appeal_id,
                         outcome=f"refused: {refusal}" if refusal else f"responsible: {employee_id}", at=now,
                         details={"executor_code": executor_code, "employee_id": employee_id}))
    return refusal


async def record_due_times(uow: UnitOfWork, due: dict[UUID, tuple[datetime, str | None]]) -> None:
    """Keep each appeal's latest due time (and its policy, when scheduled), for the case
    handed to its executor."""
    if due:
        await uow.routing.set_due_times(due)


async def apply_verdict(uow: UnitOfWork, verdict: AnswerAccepted | AnswerReturned) -> None:
    """A returned answer reopens the assignment for the same executor; an accepted one closes it."""
    state = await uow.routing.get_for_update(verdict.appeal_id)
    if state is None or state.status == "closed":
        return
    await uow.routing.decide_answer(verdict)
    if isinstance(verdict, AnswerAccepted):
        await uow.routing.set_status(state.appeal_id, "closed", state.executor)
    elif state.status == "answered":
        await uow.routing.set_status(state.appeal_id, "assigned", state.executor)
