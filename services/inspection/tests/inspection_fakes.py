"""Inspection's in-memory unit of work, shared by the handlers' tests and checked two ways: mypy
checks it against the handlers' ``UnitOfWork`` protocol (tests/style), and the console's
sessions run the same cases against it and against PostgreSQL (test_console_sessions_both_ways)."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import datetime

from appeals_inspection import handlers
from appeals_inspection.adapters import events
from appeals_inspection.domain.facts import AppealState
from appeals_inspection.domain.review import ReviewedAnswer
from appeals_inspection.domain.sessions import SIGN_IN_TTL, Session
from appeals_runtime.auth import Caller, Unauthenticated
from appeals_runtime.oidc import Grant, SignInFailed


def _fields(value) -> dict:
    return {} if value is None else {f.name: getattr(value, f.name) for f in fields(value)}


class FakeReadModel:
    def __init__(self) -> None:
        self.appeals: dict[uuid.UUID, dict] = {}
        self.answers: dict[uuid.UUID, dict] = {}
        self.escalations: dict[uuid.UUID, dict] = {}
        self.locked: list[uuid.UUID] = []
        self.assignments: dict[uuid.UUID, tuple] = {}
        self.duplicate_links: set[tuple[uuid.UUID, uuid.UUID]] = set()
        self.verdicts: dict[uuid.UUID, dict] = {}
        self.reopenings: dict[tuple[uuid.UUID, uuid.UUID], dict] = {}
        self.re_appeals: dict[tuple[uuid.UUID, uuid.UUID], str] = {}
        self.forwarding_breaches: dict[tuple[uuid.UUID, object], dict] = {}

    def _row(self, appeal_id):
        self.locked.append(appeal_id)
        return self.appeals.setdefault(appeal_id, {"appeal_id": appeal_id, "status": "open"})

    async def lock_appeal(self, appeal_id):
        return AppealState.of(self._row(appeal_id))

    async def apply_facts(self, facts):
        for f in facts:  # as the upsert: given fields set, the due time only later
            row = self._row(f.appeal_id)
            for name, value in _fields(f.registration).items():
                row[name] = value if value is not None else row.get(name)
            if f.executor_code is not None:
                row["executor_code"] = f.executor_code
            if f.due_at is not None:
                row["due_at"] = max(row["due_at"], f.due_at) if row.get("due_at") else f.due_at

    async def has_held(self, appeal_id, executor_code):
        return any(a == appeal_id and e == executor_code for a, e, _ in self.assignments.values())

    async def add_assignments(self, assignments):
        for event_id, appeal_id, executor_code, at in assignments:
            self.assignments.setdefault(event_id, (appeal_id, executor_code, at))

    async def not_routed(self, appeal_id):
        row = self.appeals.get(appeal_id)
        if row is not None and row["status"] == "open":  # as the table: only an open appeal
            row["status"] = "not_routed"

    async def add_answer(self, answer, *, superseded=False):
        if answer.answer_id in self.answers:
            return False
        for other in self.answers.values():
            if other["appeal_id"] == answer.appeal_id and other["status"] == "waiting" and not superseded:
                other["status"] = "superseded"
        self.answers[answer.answer_id] = {**_fields(answer), "status": "superseded" if superseded else "waiting"}
        return True

    async def open_escalation(self, appeal_id, due_at, at):
        if self.appeals[appeal_id]["status"] == "open":
            self.escalations.setdefault(appeal_id, {"due_at": due_at, "opened_at": at, "closed_at": None})

    async def answer_for_update(self, answer_id):
        return ReviewedAnswer.of(self.answers[answer_id]) if answer_id in self.answers else None

    async def decide(self, answer_id, status, inspector_id, reason_code, comment, at):
        self.answers[answer_id].update(status=status, inspector_id=inspector_id, reason_code=reason_code)

    async def appeals_for_update(self, appeal_ids):
        return {a: AppealState.of(self.appeals[a]) for a in sorted(appeal_ids, key=str)
                if a in self.appeals and self.appeals[a].get("registration_number")}

    async def merge(self, duplicate_id, into_id, at):
        self.appeals[duplicate_id].update(status="merged", merged_into=into_id, merged_at=at)

    async def unmerge(self, duplicate_id):
        self.appeals[duplicate_id].update(status="open", merged_into=None, merged_at=None)

    async def possible_duplicate(self, appeal_id, original_appeal_id, matched_by, distance_m, linked_at):
        self.duplicate_links.add((appeal_id, original_appeal_id))

    async def linked_as_duplicate(self, duplicate_id, original_id):
        return (duplicate_id, original_id) in self.duplicate_links

    async def merged_into(self, original_id):
        return [a for a, row in self.appeals.items() if row.get("merged_into") == original_id and row["status"] == "merged"]

    async def set_assignee(self, appeal_id, executor_code, employee_id, name):
        self.appeals[appeal_id].update(assignee_id=employee_id, assignee_name=name, assignee_executor=executor_code)

    async def citizen_verdict(self, appeal_id, answer_id, executor_code, resolved, rating, given_at, comment=None):
        self.verdicts.setdefault(answer_id, {"appeal_id": appeal_id, "executor_code": executor_code,
                                             "resolved": resolved, "rating": rating, "given_at": given_at,
                                             "comment": comment})

    async def reopen(self, appeal_id, previous_answer_id, executor_code, reopened_at):
        """As the table: only a closed appeal, once per accepted answer, counted against whoever answered."""
        row = self.appeals.get(appeal_id)
        if row is None or row["status"] != "closed" or (appeal_id, previous_answer_id) in self.reopenings:
            return
        self.reopenings[appeal_id, previous_answer_id] = {"executor_code": row.get("answered_by") or executor_code,
                                                          "reopened_at": reopened_at}
        row.update(status="open", executor_code=executor_code, accepted_answer_id=None, answered_by=None,
                   answered_at=None, accepted_at=None)

    async def re_appeal(self, appeal_id, earlier_appeal_id, matched_by, linked_at):
        self.re_appeals.setdefault((appeal_id, earlier_appeal_id), matched_by)

    async def forwarded_late(self, appeal_id, executor_code, forwarded_at, reported_at):
        self.forwarding_breaches.setdefault((appeal_id, forwarded_at), {"from_executor_code": executor_code,
                                                                        "reported_at": reported_at})

    async def close(self, answer, at):
        self.appeals[answer.appeal_id].update(status="closed", accepted_answer_id=answer.answer_id,
                                              answered_by=answer.executor_code, answered_at=answer.submitted_at,
                                              accepted_at=at)
        if answer.appeal_id in self.escalations:
            self.escalations[answer.appeal_id]["closed_at"] = at


class FakeUnitOfWork:
    def audit(self, entry):
        self.audited.append(entry)

    def __init__(self) -> None:
        self.audited: list = []
        self.model = FakeReadModel()
        self.console = FakeConsoleSessions()
        self.announced: list = []

    def decided(self, answer, verdict, at):
        self.announced.append(events.verdict(answer, verdict, at))

    def merged(self, duplicate_id, into_id, into_number, by, at):
        self.announced.append(events.merged(duplicate_id, into_id, into_number, by, at))

    def unmerged(self, duplicate_id, from_id, by, at):
        self.announced.append(events.unmerged(duplicate_id, from_id, by, at))

    def shared(self, duplicate_id, answer, original_number, at):
        self.announced.append(events.shared(duplicate_id, answer, original_number, at))


class FakeConsoleSessions:
    """As the tables: a sign-in redeems once within its time, a session lives until it expires,
    a person's language is the one chosen, else the first sign-in's."""

    def __init__(self) -> None:
        self.sign_ins: dict[str, tuple[str, datetime]] = {}
        self.sessions: dict[str, dict] = {}
        self.languages: dict[str, str] = {}

    async def begin_sign_in(self, state: str, verifier: str, now: datetime) -> None:
        self.sign_ins = {s: v for s, v in self.sign_ins.items() if v[1] >= now - SIGN_IN_TTL}
        self.sign_ins[state] = (verifier, now)

    async def finish_sign_in(self, state: str, now: datetime) -> str | None:
        found = self.sign_ins.get(state)
        if found is None or found[1] < now - SIGN_IN_TTL:
            return None
        del self.sign_ins[state]
        return found[0]

    async def open_session(self, token: str, *, subject: str, name: str | None, roles: frozenset[str],
                           executor_code: str | None, access_token: str, csrf_token: str, now: datetime,
                           expires_at: datetime, refresh_token: str | None = None,
                           token_expires_at: datetime | None = None) -> None:
        self.sessions = {t: s for t, s in self.sessions.items() if s["expires_at"] >= now}
        self.sessions[token] = dict(subject=subject, name=name, roles=frozenset(roles), executor_code=executor_code,
                                    access_token=access_token, csrf_token=csrf_token, expires_at=expires_at,
                                    refresh_token=refresh_token, token_expires_at=token_expires_at)

    async def renew_session(self, token: str, *, name: str | None, roles: frozenset[str], executor_code: str | None,
                            access_token: str, refresh_token: str | None, token_expires_at: datetime | None) -> None:
        if token in self.sessions:
            self.sessions[token].update(name=name, roles=frozenset(roles), executor_code=executor_code,
                                        access_token=access_token, refresh_token=refresh_token,
                                        token_expires_at=token_expires_at)

    async def session(self, token: str, now: datetime) -> Session | None:
        s = self.sessions.get(token)
        if s is None or s["expires_at"] <= now:
            return None
        return Session(s["subject"], s["name"], s["roles"], s["executor_code"], s["access_token"], s["csrf_token"],
                       self.languages.get(s["subject"]), s["refresh_token"], s["token_expires_at"])

    async def close_session(self, token: str) -> str | None:
        s = self.sessions.pop(token, None)
        return None if s is None else s["refresh_token"]

    async def prefer_language(self, subject: str, language: str) -> None:
        self.languages[subject] = language

    async def first_language(self, subject: str, language: str) -> None:
        self.languages.setdefault(subject, language)


class FakeIdentityProvider:
    """An IdP that knows people by their codes: ``code`` → the person's claims; a refresh token
    renews while its person is not disabled."""

    def __init__(self) -> None:
        self.people: dict[str, dict] = {}  # code → claims (sub, roles, name, exp, executor_code)
        self.refreshable = True  # whether the grant comes with a refresh token
        self.disabled: set[str] = set()
        self.down = False
        self.ended: list[str] = []
        self.issued: dict[str, dict] = {}  # access token → claims
        self.expires_in = 300

    def _grant(self, claims: dict) -> Grant:
        token = f"access-{uuid.uuid4()}"
        self.issued[token] = claims
        refresh = f"refresh-{claims['sub']}-{uuid.uuid4()}" if self.refreshable else None
        return Grant(token, self.expires_in, refresh)

    async def authorization_url(self, state: str, verifier: str) -> str:
        if self.down:
            raise SignInFailed("the IdP cannot be reached")
        return f"https://idp.test/auth?state={state}"

    async def exchange(self, code: str, verifier: str) -> Grant:
        if code not in self.people:
            raise SignInFailed("invalid_grant")
        return self._grant(self.people[code])

    async def verify(self, access_token: str) -> Caller:
        claims = self.issued.get(access_token)
        if claims is None:
            raise Unauthenticated("unknown token")
        return Caller(claims["sub"], frozenset(claims["roles"]), claims.get("executor_code"), claims=claims)

    async def renew(self, refresh_token: str, *, subject: str) -> tuple[Caller, Grant] | None:
        person = next((c for c in self.people.values() if c["sub"] == subject), None)
        if person is None or subject in self.disabled:
            return None
        grant = self._grant(person)
        return await self.verify(grant.access_token), grant

    async def end_session(self, refresh_token: str) -> None:
        self.ended.append(refresh_token)


def _the_fake_stands_for_the_protocol() -> handlers.UnitOfWork:
    """Never called: mypy (tests/style) checks here that the fake has every member of the unit
    of work the handlers declare, with its repositories' too."""
    return FakeUnitOfWork()


def _the_idp_stands_for_the_protocol() -> handlers.IdentityProvider:
    """Never called: mypy checks the fake identity provider against the handlers' port."""
    return FakeIdentityProvider()
