"""Routing's in-memory unit of work, shared by the handlers' tests and checked two ways: mypy
checks it against the handlers' ``UnitOfWork`` protocol (tests/style), and the repository's cases
run against it and against PostgreSQL (test_repository_both_ways)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from appeals_routing import handlers
from appeals_routing.domain.model import AppealState, Directory


class FakeRouting:
    def __init__(self) -> None:
        self.rule_sets: dict[int, tuple] = {}
        self.states: dict[uuid.UUID, AppealState] = {}
        self.history: list = []
        self.answers: list = []
        self.verdicts: list = []
        self.employees: dict = {}
        self.executors: dict = {}
        self.directory_version = 0
        self.due: dict = {}
        self.duplicates: list = []
        self.re_appeals: list = []

    async def current_rule_set(self):
        if not self.rule_sets:
            return None
        rule_set = self.rule_sets[max(self.rule_sets)][0]  # as the table reads them: by rule id
        return replace(rule_set, rules=tuple(sorted(rule_set.rules, key=lambda r: r.rule_id)))

    async def rule_set_checksum(self, version):
        return self.rule_sets[version][1] if version in self.rule_sets else None

    async def store_directory(self, directory):
        """As the table: every executor upserted, one missing from the file kept but inactive."""
        kept = {code: replace(e, active=False) for code, e in self.executors.items() if code not in directory.executors}
        self.executors = {**kept, **directory.executors}
        self.directory_version = directory.version

    async def directory(self):
        return Directory(self.directory_version if self.executors else 0, dict(self.executors))

    async def set_due_times(self, due):
        for appeal_id, (due_at, policy) in due.items():  # a policy is kept when an announcement names none
            self.due[appeal_id] = (due_at, policy or self.due.get(appeal_id, (None, None))[1])

    async def add_possible_duplicates(self, links):
        self.duplicates += [link for link in links if link not in self.duplicates]

    async def add_re_appeals(self, links):
        self.re_appeals += [link for link in links if link not in self.re_appeals]

    async def store_rule_set(self, rule_set, checksum):
        self.rule_sets[rule_set.version] = (rule_set, checksum)

    async def known(self, ids):
        return {i for i in ids if i in self.states}

    async def add_appeals(self, states):
        for s in states:
            self.states[s.appeal_id] = s
            self.history += [(s.appeal_id, a) for a in s.history]

    async def get_for_update(self, appeal_id):
        """As the tables: the appeal with every assignment it has had and its latest due time."""
        state = self.states.get(appeal_id)
        if state is None:
            return None
        due = self.due.get(appeal_id)
        return replace(state, history=tuple(a for i, a in self.history if i == appeal_id),
                       due_at=due[0] if due else None)

    async def add_assignments(self, rows):
        self.history += rows

    async def set_status(self, appeal_id, status, executor):
        s = self.states[appeal_id]
        keep = executor == s.executor  # another executor: nobody of it is responsible yet
        self.states[appeal_id] = replace(s, status=status, executor=executor,
                                         assignee_id=s.assignee_id if keep else None,
                                         assignee_name=s.assignee_name if keep else None)

    async def add_answer(self, action, received_at):
        self.answers.append((action.action_id, received_at))

    async def decide_answer(self, verdict):
        self.verdicts.append(verdict.answer_id)

    async def employee(self, executor_code, employee_id):
        return self.employees.get((executor_code, employee_id))

    async def save_employee(self, employee, seen_at):
        self.employees[(employee.executor_code, employee.employee_id)] = employee

    async def set_assignee(self, appeal_id, employee, at):
        self.states[appeal_id] = replace(self.states[appeal_id], assignee_id=employee.employee_id,
                                         assignee_name=employee.name)


class FakeUnitOfWork:
    def audit(self, entry):
        self.audited.append(entry)

    def __init__(self) -> None:
        self.audited: list = []
        self.routing = FakeRouting()
        self.announced: list[tuple[str, str | None]] = []

    def assigned(self, state, entry, *, trace_context=None):
        self.announced.append(("appeal.assigned", entry.executor))

    def not_routed(self, state, reason, at, *, trace_context=None):
        self.announced.append(("appeal.not_routed", None))

    def answered(self, action, received_at):
        self.announced.append(("appeal.answered", None))
        self.received_at = received_at

    def extension_requested(self, action, received_at):
        self.announced.append(("appeal.extension_requested", None))
        self.received_at = received_at

    def action_rejected(self, action_id, appeal_id, executor, action_type, reason, at):
        self.announced.append(("executor.action_rejected", None))

    def reopened(self, state, entry, verdict):
        self.announced.append(("appeal.reopened", entry.executor))

    def assignee_changed(self, state, employee, by, at):
        self.announced.append(("appeal.assignee_changed", employee.employee_id))


def _the_fake_stands_for_the_protocol() -> handlers.UnitOfWork:
    """Never called: mypy (tests/style) checks here that the fake has every member of the unit
    of work the handlers declare, with its repositories' too."""
    return FakeUnitOfWork()
