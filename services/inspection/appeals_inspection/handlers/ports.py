"""What inspection's use cases need of the world: the read model, the console's sessions, the
identity provider, and the unit of work that holds them with the outbox and the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from appeals_inspection.domain.facts import AppealFactsChange, AppealState
from appeals_inspection.domain.figures import ConsultationRow, EmployeeRow, Overdue, Received, ScorecardRow
from appeals_inspection.domain.merges import MergeRefusal
from appeals_inspection.domain.review import ArrivingAnswer, ReviewedAnswer, Verdict
from appeals_inspection.domain.sessions import Session
from appeals_runtime.audit import AuditEntry
from appeals_runtime.auth import Caller
from appeals_runtime.oidc import Grant


@dataclass(frozen=True)
class Decider:
    """Who merges: the token's subject, in which role, and an executor's code."""

    subject: str
    role: str  # inspector or executor
    executor_code: str | None = None


class MergeRefused(Exception):
    """A merge or unmerge the rules refuse, with their reason (the HTTP layer maps it to a status)."""

    def __init__(self, refusal: MergeRefusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


class ReadModel(Protocol):
    async def appeals_for_update(self, appeal_ids: Sequence[UUID]) -> dict[UUID, AppealState]:
        """Registered appeals among ``appeal_ids``, locked in one order (never creates a row)."""
        ...
    async def merge(self, duplicate_id: UUID, into_id: UUID, at: datetime) -> None: ...
    async def unmerge(self, duplicate_id: UUID) -> None: ...
    async def merged_into(self, original_id: UUID) -> list[UUID]: ...
    async def linked_as_duplicate(self, duplicate_id: UUID, original_id: UUID) -> bool:
        """Whether intake linked ``duplicate_id`` as a possible duplicate of ``original_id``."""
        ...
    async def possible_duplicate(self, appeal_id: UUID, original_appeal_id: UUID, matched_by: str,
                                 distance_m: float | None, linked_at: datetime) -> None: ...
    async def re_appeal(self, appeal_id: UUID, earlier_appeal_id: UUID, matched_by: str,
                        linked_at: datetime) -> None: ...
    async def reopen(self, appeal_id: UUID, previous_answer_id: UUID, executor_code: str,
                     reopened_at: datetime) -> None: ...
    async def citizen_verdict(self, appeal_id: UUID, answer_id: UUID, executor_code: str, resolved: bool,
                              rating: int | None, given_at: datetime, comment: str | None = None) -> None: ...
    async def forwarded_late(self, appeal_id: UUID, executor_code: str, forwarded_at: datetime,
                             reported_at: datetime) -> None: ...
    async def lock_appeal(self, appeal_id: UUID) -> AppealState:
        """The appeal, locked (its events apply one at a time); created, open, when unknown."""
        ...
    async def has_held(self, appeal_id: UUID, executor_code: str) -> bool:
        """Whether an assignment of the appeal to ``executor_code`` is known."""
        ...
    async def apply_facts(self, facts: Sequence[AppealFactsChange]) -> None:
        """Several appeals' registrations, executors and due times at once (rows created when
        unknown, locked in the order given; a due time only moves later)."""
        ...
    async def add_assignments(self, assignments: Sequence[tuple[UUID, UUID, str, datetime]]) -> None:
        """(event id, appeal id, executor, assigned at) rows; one already there is left alone."""
        ...
    async def not_routed(self, appeal_id: UUID) -> None: ...
    async def add_answer(self, answer: ArrivingAnswer, *, superseded: bool = False) -> bool:
        """Queue an answer for review (or keep it as superseded); older waiting ones are superseded."""
        ...
    async def set_assignee(self, appeal_id: UUID, executor_code: str, employee_id: str, name: str | None) -> None:
        """The employee of ``executor_code`` responsible for the appeal (while it holds it)."""
        ...
    async def open_escalation(self, appeal_id: UUID, due_at: datetime, at: datetime) -> None: ...
    async def answer_for_update(self, answer_id: UUID) -> ReviewedAnswer | None: ...
    async def decide(self, answer_id: UUID, status: str, inspector_id: str, reason_code: str | None, comment: str,
                     at: datetime) -> None: ...
    async def close(self, answer: ReviewedAnswer, at: datetime) -> None: ...


class ReportReader(Protocol):
    """The report's queries (indexed, set-based), for a period ``start`` … ``end`` (exclusive)."""

    async def scorecards(self, start: datetime, end: datetime, as_of: datetime) -> list[ScorecardRow]: ...
    async def employee_scorecards(self, start: datetime, end: datetime, as_of: datetime) -> list[EmployeeRow]: ...
    async def received(self, start: datetime, end: datetime) -> Received: ...
    async def count_received(self, start: datetime, end: datetime) -> int: ...
    async def count_merged(self, start: datetime, end: datetime) -> int: ...
    async def consultations(self, start: datetime, end: datetime) -> list[ConsultationRow]: ...
    async def longest_overdue(self, as_of: datetime, limit: int) -> list[Overdue]:
        """The ``limit`` appeals longest past their due time at ``as_of``."""
        ...


class ConsoleSessions(Protocol):
    """The console's sign-ins in flight, its sessions and each staff member's language."""

    async def begin_sign_in(self, state: str, verifier: str, now: datetime) -> None: ...
    async def finish_sign_in(self, state: str, now: datetime) -> str | None:
        """The PKCE verifier of the sign-in started with ``state`` within :data:`SIGN_IN_TTL`;
        each state redeems once."""
        ...
    async def open_session(self, token: str, *, subject: str, name: str | None, roles: frozenset[str],
                           executor_code: str | None, access_token: str, csrf_token: str, now: datetime,
                           expires_at: datetime, refresh_token: str | None = None,
                           token_expires_at: datetime | None = None) -> None: ...
    async def renew_session(self, token: str, *, name: str | None, roles: frozenset[str], executor_code: str | None,
                            access_token: str, refresh_token: str | None,
                            token_expires_at: datetime | None) -> None: ...
    async def session(self, token: str, now: datetime) -> Session | None:
        """The session the cookie's ``token`` opened, unless it has ended by ``now``."""
        ...
    async def close_session(self, token: str) -> str | None:
        """Forget the session; its refresh token, to end it at the IdP too."""
        ...
    async def prefer_language(self, subject: str, language: str) -> None: ...
    async def first_language(self, subject: str, language: str) -> None:
        """The language of a user's first sign-in; a choice made later stays."""
        ...


class IdentityProvider(Protocol):
    """The OpenID provider the console signs staff in with (authorization code flow with PKCE),
    and the platform's verification of the tokens it issues."""

    async def authorization_url(self, state: str, verifier: str) -> str:
        """Where the browser signs in; raises ``SignInFailed`` when the IdP cannot be reached."""
        ...
    async def exchange(self, code: str, verifier: str) -> Grant:
        """Redeem the code; raises ``SignInFailed``."""
        ...
    async def verify(self, access_token: str) -> Caller:
        """The token verified like any bearer token; raises ``Unauthenticated``."""
        ...
    async def renew(self, refresh_token: str, *, subject: str) -> tuple[Caller, Grant] | None:
        """New tokens for the same person, verified; None when the IdP refuses."""
        ...
    async def end_session(self, refresh_token: str) -> None: ...


class UnitOfWork(Protocol):
    @property
    def model(self) -> ReadModel: ...  # read-only, so an implementation may narrow it

    @property
    def console(self) -> ConsoleSessions: ...

    def decided(self, answer: ReviewedAnswer, verdict: Verdict, at: datetime) -> None:
        """Announce the verdict (answer accepted or returned)."""
        ...

    def audit(self, entry: AuditEntry) -> None:
        """Record the decision in the audit trail, in this transaction."""
        ...

    def merged(self, duplicate_id: UUID, into_id: UUID, into_number: str, by: Decider, at: datetime) -> None:
        """Announce the merge (the original's number, for the duplicate's citizen)."""
        ...
    def unmerged(self, duplicate_id: UUID, from_id: UUID, by: Decider, at: datetime) -> None: ...
    def shared(self, duplicate_id: UUID, answer: ReviewedAnswer, original_number: str, at: datetime) -> None:
        """The original's accepted answer, announced for a merged duplicate's citizen."""
        ...
