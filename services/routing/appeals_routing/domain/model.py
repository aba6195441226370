"""What routing works with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Executor:
    code: str
    kind: str  # district_akimat, city_department, utility, triage
    names: dict[str, str]
    active: bool = True


@dataclass(frozen=True)
class Rule:
    rule_id: str
    executor: str
    category: str | None = None
    district: str | None = None
    active: bool = True

    @property
    def specificity(self) -> int:
        """2: category and district; 1: category only; 0: the default."""
        return (self.category is not None) + (self.district is not None)


@dataclass(frozen=True)
class RuleSet:
    version: int
    rules: tuple[Rule, ...]
    anonymous_threat_executor: str
    triage_executor: str


@dataclass(frozen=True)
class Directory:
    version: int
    executors: dict[str, Executor]

    def is_active(self, code: str | None) -> bool:
        return code is not None and code in self.executors and self.executors[code].active


@dataclass(frozen=True)
class RegisteredAppeal:
    appeal_id: UUID
    registration_number: str
    kind: str
    category: str
    district: str | None
    anonymous: bool
    reports_crime_or_threat: bool
    #: The whole case as the contracts carry it (text, place, contact): routing passes it on to
    #: the executor untouched. Personal data: never logged.
    case: Mapping[str, Any] | None = field(default=None, repr=False)
    context: object = field(default=None, compare=False, repr=False)  # opaque: the caller's trace context


@dataclass(frozen=True)
class Assignment:
    """One entry of an appeal's assignment history."""

    executor: str
    reason: str  # routing_rule, anonymous_policy, reassignment
    assigned_at: datetime
    previous_executor: str | None = None
    rule_id: str | None = None
    rule_set_version: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class AppealState:
    """Routing's view of one appeal: where it is and who holds it."""

    appeal_id: UUID
    registration_number: str
    category: str
    district: str | None
    status: str  # assigned, answered (waiting for review), closed, not_routed, merged (into another appeal)
    executor: str | None
    history: tuple[Assignment, ...] = field(default_factory=tuple)
    case: Mapping[str, Any] | None = field(default=None, repr=False)  # see RegisteredAppeal.case
    due_at: datetime | None = None  # the legal due time, once the deadline tracker announced it
    assignee_id: str | None = None  # the employee of the executor responsible for it, once one took it
    assignee_name: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in ("assigned", "answered")

    @property
    def registered_at(self) -> datetime | None:
        """When intake registered the appeal, as the case says (``None`` without a case)."""
        value = self.case.get("registered_at") if self.case else None
        if isinstance(value, datetime) or value is None:
            return value
        return datetime.fromisoformat(str(value))

    def moved(self, status: str, executor: str | None, entry: Assignment | None = None) -> AppealState:
        """The same appeal, now ``status`` with ``executor`` (and ``entry`` added to its history)."""
        return replace(self, status=status, executor=executor,
                       history=self.history + ((entry,) if entry is not None else ()))


@dataclass(frozen=True)
class Employee:
    """An employee of an executor, as the verified token of their last sign-in named them."""

    executor_code: str
    employee_id: str  # the token's subject
    name: str | None
    head: bool = False  # the organisation's head: gives appeals to employees
