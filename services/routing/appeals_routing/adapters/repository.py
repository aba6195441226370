"""Routing's tables, through asyncpg."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from datetime import datetime
from uuid import UUID

import asyncpg

from appeals_contracts.events import AnswerAccepted, AnswerReturned, ExecutorAnswerSubmitted
from appeals_routing.domain.model import AppealState, Assignment, Directory, Employee, Executor, Rule, RuleSet

#: The queue's order: answers returned by an inspector first, then the nearest due time.
_QUEUE_FILTER = """a.executor_code = $1 AND a.status IN ('assigned', 'answered')
    AND ($2::text IS NULL OR a.category = $2) AND ($3::text IS NULL OR a.district = $3)
    AND ($4::text IS NULL OR ($4 = '' AND a.assignee_id IS NULL) OR a.assignee_id = $4)
    AND ($5::text IS NULL OR ($5 = 'overdue' AND d.due_at < $6)
         OR ($5 = 'day' AND d.due_at >= $6 AND d.due_at < $6 + interval '1 day'))"""


class PostgresRoutingRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def lock_rule_loading(self) -> None:
        """Until this transaction ends, no other replica loads rules (two replicas starting
        together on an empty database would both load version 1)."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(7146330003)")

    async def current_rule_set(self) -> RuleSet | None:
        head = await self._conn.fetchrow("SELECT * FROM rule_sets ORDER BY version DESC LIMIT 1")
        if head is None:
            return None
        rows = await self._conn.fetch("SELECT * FROM rules WHERE rule_set_version = $1 ORDER BY rule_id",
                                      head["version"])
        rules = tuple(Rule(r["rule_id"], r["executor_code"], r["category"], r["district"], r["active"]) for r in rows)
        return RuleSet(head["version"], rules, head["anonymous_threat_executor"], head["triage_executor"])

    async def rule_set_checksum(self, version: int) -> str | None:
        return await self._conn.fetchval("SELECT checksum FROM rule_sets WHERE version = $1", version)

    async def directory(self) -> Directory:
        rows = await self._conn.fetch("SELECT * FROM executors")
        version = max((r["directory_version"] for r in rows), default=0)
        return Directory(version, {r["code"]: Executor(r["code"], r["kind"], json.loads(r["names"]), r["active"])
                                   for r in rows})

    async def store_directory(self, directory: Directory) -> None:
        """Upsert every executor; executors missing from the file are kept but deactivated."""
        await self._conn.executemany(
            """INSERT INTO executors (code, kind, names, active, directory_version) VALUES ($1, $2, $3::jsonb, $4, $5)
               ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, names = EXCLUDED.names,
                   active = EXCLUDED.active, directory_version = EXCLUDED.directory_version""",
            [(e.code, e.kind, json.dumps(e.names, ensure_ascii=False), e.active, directory.version)
             for e in directory.executors.values()])
        await self._conn.execute("UPDATE executors SET active = false WHERE NOT code = ANY($1::text[])",
                                 list(directory.executors))

    async def store_rule_set(self, rule_set: RuleSet, checksum: str) -> None:
        await self._conn.execute(
            """INSERT INTO rule_sets (version, checksum, anonymous_threat_executor, triage_executor)
               VALUES ($1, $2, $3, $4)""",
            rule_set.version, checksum, rule_set.anonymous_threat_executor, rule_set.triage_executor)
        await self._conn.executemany(
            """INSERT INTO rules (rule_set_version, rule_id, category, district, executor_code, active)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            [(rule_set.version, r.rule_id, r.category, r.district, r.executor, r.active) for r in rule_set.rules])

    async def known(self, appeal_ids: Sequence[UUID]) -> set[UUID]:
        rows = await self._conn.fetch("SELECT appeal_id FROM appeals WHERE appeal_id = ANY($1::uuid[])",
                                      list(appeal_ids))
        return {r["appeal_id"] for r in rows}

    async def get_for_update(self, appeal_id: UUID) -> AppealState | None:
        row = await self._conn.fetchrow(
            """SELECT a.*, d.due_at FROM appeals a LEFT JOIN due_times d USING (appeal_id)
               WHERE a.appeal_id = $1 FOR UPDATE OF a""", appeal_id)
        if row is None:
            return None
        return _state(row, tuple(await self.history(appeal_id)))

    async def case_of(self, appeal_id: UUID) -> AppealState | None:
        """The appeal with its case and due time, without locking it."""
        row = await self._conn.fetchrow(
            """SELECT a.*, d.due_at FROM appeals a LEFT JOIN due_times d USING (appeal_id)
               WHERE a.appeal_id = $1""", appeal_id)
        return _state(row, ()) if row else None

    async def add_possible_duplicates(self, links: Sequence[tuple[UUID, UUID, str, float | None]]) -> None:
        await self._conn.executemany(
            """INSERT INTO possible_duplicates (appeal_id, original_appeal_id, matched_by, distance_m)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""", list(links))

    async def possible_duplicates(self, appeal_id: UUID) -> list[dict[str, object]]:
        """The appeals linked with ``appeal_id`` as possible duplicates, either way."""
        rows = await self._conn.fetch(
            """SELECT CASE WHEN d.appeal_id = $1 THEN d.original_appeal_id ELSE d.appeal_id END AS appeal_id,
                      d.appeal_id = $1 AS is_duplicate, d.matched_by, d.distance_m
               FROM possible_duplicates d WHERE d.appeal_id = $1 OR d.original_appeal_id = $1""", appeal_id)
        numbers = {r["appeal_id"]: r["registration_number"] for r in await self._conn.fetch(
            "SELECT appeal_id, registration_number FROM appeals WHERE appeal_id = ANY($1::uuid[])",
            [r["appeal_id"] for r in rows])}
        return [{"appeal_id": str(r["appeal_id"]), "registration_number": numbers.get(r["appeal_id"]),
                 "relation": "original" if r["is_duplicate"] else "possible duplicate",
                 "matched_by": r["matched_by"], "distance_m": r["distance_m"]} for r in rows]

    async def set_due_times(self, due: dict[UUID, tuple[datetime, str | None]]) -> None:
        """The latest announced due time of each appeal (the deadlines topic is ordered per
        appeal), and its policy when the announcement names one."""
        await self._conn.execute(
            """INSERT INTO due_times (appeal_id, due_at, policy_code)
               SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[])
               ON CONFLICT (appeal_id) DO UPDATE SET due_at = EXCLUDED.due_at,
                   policy_code = COALESCE(EXCLUDED.policy_code, due_times.policy_code)""",
            list(due), [d for d, _ in due.values()], [p for _, p in due.values()])

    async def history(self, appeal_id: UUID) -> list[Assignment]:
        rows = await self._conn.fetch("SELECT * FROM assignments WHERE appeal_id = $1 ORDER BY id", appeal_id)
        return [Assignment(r["executor_code"], r["reason"], r["assigned_at"], r["previous_executor_code"],
                           r["rule_id"], r["rule_set_version"], r["note"]) for r in rows]

    async def add_appeals(self, states: Sequence[AppealState]) -> None:
        """New appeals and their first assignments: a statement each for the whole batch."""
        if not states:
            return
        await self._conn.execute(
            """INSERT INTO appeals (appeal_id, registration_number, category, district, status, executor_code,
                   appeal_case)
               SELECT appeal_id, number, category, district, status, executor_code, appeal_case::jsonb
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                    AS s(appeal_id, number, category, district, status, executor_code, appeal_case)""",
            [s.appeal_id for s in states], [s.registration_number for s in states], [s.category for s in states],
            [s.district for s in states], [s.status for s in states], [s.executor for s in states],
            [json.dumps(s.case) if s.case is not None else None for s in states])
        await self.add_assignments([(s.appeal_id, a) for s in states for a in s.history])

    async def add_assignments(self, rows: Sequence[tuple[UUID, Assignment]]) -> None:
        """In one statement, ids in the order given (an appeal's history reads by id)."""
        if not rows:
            return
        await self._conn.execute(
            """INSERT INTO assignments (appeal_id, executor_code, previous_executor_code, reason, rule_id,
                   rule_set_version, note, assigned_at)
               SELECT appeal_id, executor_code, previous_executor_code, reason, rule_id, rule_set_version, note,
                      assigned_at
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[],
                           $8::timestamptz[]) WITH ORDINALITY
                    AS a(appeal_id, executor_code, previous_executor_code, reason, rule_id, rule_set_version, note,
                         assigned_at, n)
               ORDER BY n""",
            [appeal_id for appeal_id, _ in rows], [a.executor for _, a in rows],
            [a.previous_executor for _, a in rows], [a.reason for _, a in rows], [a.rule_id for _, a in rows],
            [a.rule_set_version for _, a in rows], [a.note for _, a in rows], [a.assigned_at for _, a in rows])

    async def current(self, appeal_id: UUID) -> tuple[str, str | None] | None:
        """(status, executor) of an appeal, without locking it."""
        row = await self._conn.fetchrow("SELECT status, executor_code FROM appeals WHERE appeal_id = $1", appeal_id)
        return (row["status"], row["executor_code"]) if row else None

    async def executor_exists(self, code: str) -> bool:
        return bool(await self._conn.fetchval("SELECT 1 FROM executors WHERE code = $1", code))

    async def set_status(self, appeal_id: UUID, status: str, executor: str | None) -> None:
        """With another executor, nobody of it is responsible yet (the assignee is cleared)."""
        await self._conn.execute(
            """UPDATE appeals SET status = $2, executor_code = $3, updated_at = now(),
                   assignee_id = CASE WHEN executor_code IS NOT DISTINCT FROM $3 THEN assignee_id END,
                   assignee_name = CASE WHEN executor_code IS NOT DISTINCT FROM $3 THEN assignee_name END,
                   assignee_since = CASE WHEN executor_code IS NOT DISTINCT FROM $3 THEN assignee_since END
               WHERE appeal_id = $1""",
            appeal_id, status, executor)

    # -- the executors' workspace --------------------------------------------------------------
    async def add_re_appeals(self, links: Sequence[tuple[UUID, UUID, str]]) -> None:
        await self._conn.executemany(
            "INSERT INTO re_appeals (appeal_id, earlier_appeal_id, matched_by) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING", list(links))

    async def employee(self, executor_code: str, employee_id: str) -> Employee | None:
        row = await self._conn.fetchrow("SELECT * FROM employees WHERE executor_code = $1 AND employee_id = $2",
                                        executor_code, employee_id)
        return Employee(row["executor_code"], row["employee_id"], row["name"], row["head"]) if row else None

    async def save_employee(self, employee: Employee, seen_at: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO employees (executor_code, employee_id, name, head, seen_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (executor_code, employee_id) DO UPDATE SET name = EXCLUDED.name, head = EXCLUDED.head,
                   seen_at = EXCLUDED.seen_at""",
            employee.executor_code, employee.employee_id, employee.name, employee.head, seen_at)

    async def employees_of(self, executor_code: str) -> list[Employee]:
        rows = await self._conn.fetch("SELECT * FROM employees WHERE executor_code = $1 ORDER BY name, employee_id",
                                      executor_code)
        return [Employee(r["executor_code"], r["employee_id"], r["name"], r["head"]) for r in rows]

    async def set_assignee(self, appeal_id: UUID, employee: Employee, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE appeals SET assignee_id = $2, assignee_name = $3, assignee_since = $4 WHERE appeal_id = $1",
            appeal_id, employee.employee_id, employee.name, at)

    async def add_answer(self, action: ExecutorAnswerSubmitted, received_at: datetime) -> None:
        """The answer as routing passed it on; the appeal's last return is answered by it."""
        await self._conn.execute(
            """INSERT INTO answers (answer_id, appeal_id, executor_code, employee_id, employee_name, text, language,
                   attachments, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
               ON CONFLICT DO NOTHING""",
            action.action_id, action.appeal_id, action.executor_code, action.employee_id, action.employee_name,
            action.text, action.language, json.dumps([a.model_dump(mode="json") for a in action.attachments]),
            received_at)
        await self._conn.execute(
            "UPDATE appeals SET returned_reason = NULL, returned_comment = NULL, returned_at = NULL "
            "WHERE appeal_id = $1", action.appeal_id)

    async def decide_answer(self, verdict: AnswerAccepted | AnswerReturned) -> None:
        returned = isinstance(verdict, AnswerReturned)
        reason = verdict.reason_code if isinstance(verdict, AnswerReturned) else None
        comment = verdict.comment if isinstance(verdict, AnswerReturned) else None
        await self._conn.execute(
            """UPDATE answers SET verdict = $2, reason_code = $3, comment = $4, decided_at = $5
               WHERE answer_id = $1 AND verdict IS NULL""",
            verdict.answer_id, "returned" if returned else "accepted", reason, comment, verdict.decided_at)
        if returned:
            await self._conn.execute(
                """UPDATE appeals SET returned_reason = $2, returned_comment = $3, returned_at = $4
                   WHERE appeal_id = $1""", verdict.appeal_id, reason, comment, verdict.decided_at)

    async def queue(self, executor: str, *, category: str | None, district: str | None, assignee: str | None,
                    due: str | None, now: datetime, limit: int, offset: int) -> tuple[list[dict[str, object]], int]:
        """A page of the executor's open appeals (returned answers first, then by due time) and
        how many there are in all, as filtered."""
        args = (executor, category, district, assignee, due, now)
        total = await self._conn.fetchval(
            f"SELECT count(*) FROM appeals a LEFT JOIN due_times d USING (appeal_id) WHERE {_QUEUE_FILTER}", *args)
        rows = await self._conn.fetch(
            f"""SELECT a.appeal_id, a.registration_number, a.category, a.district, a.status, a.assignee_id,
                       a.assignee_name, a.returned_reason, a.returned_comment, a.returned_at, d.due_at,
                       a.appeal_case->>'kind' AS kind, a.appeal_case->>'channel' AS channel,
                       left(a.appeal_case->>'text', 160) AS excerpt
                FROM appeals a LEFT JOIN due_times d USING (appeal_id) WHERE {_QUEUE_FILTER}
                ORDER BY (a.status = 'assigned' AND a.returned_at IS NOT NULL) DESC, d.due_at NULLS LAST,
                         a.registration_number
                LIMIT $7 OFFSET $8""", *args, limit, offset)
        return [dict(r) for r in rows], total

    async def workspace_details(self, appeal_id: UUID) -> dict[str, Any]:
        """What the case page adds to the case: answers with their verdicts, the deadline's
        policy, re-appeal links, the responsible employee and the last return."""
        answers = await self._conn.fetch(
            """SELECT answer_id, executor_code, employee_id, employee_name, text, language, attachments, received_at,
                      verdict, reason_code, comment, decided_at
               FROM answers WHERE appeal_id = $1 ORDER BY received_at""", appeal_id)
        head = await self._conn.fetchrow(
            """SELECT a.assignee_id, a.assignee_name, a.assignee_since, a.returned_reason, a.returned_comment,
                      a.returned_at, d.policy_code
               FROM appeals a LEFT JOIN due_times d USING (appeal_id) WHERE a.appeal_id = $1""", appeal_id)
        links = await self._conn.fetch(
            """SELECT r.earlier_appeal_id AS appeal_id, e.registration_number, 'earlier' AS relation, r.matched_by
               FROM re_appeals r LEFT JOIN appeals e ON e.appeal_id = r.earlier_appeal_id WHERE r.appeal_id = $1
               UNION ALL
               SELECT r.appeal_id, l.registration_number, 'later', r.matched_by
               FROM re_appeals r LEFT JOIN appeals l ON l.appeal_id = r.appeal_id WHERE r.earlier_appeal_id = $1""",
            appeal_id)
        return {**(dict(head) if head else {}),
                "answers": [{**dict(r), "attachments": json.loads(r["attachments"])} for r in answers],
                "re_appeals": [dict(r) for r in links]}

    async def action_outcome(self, appeal_id: UUID, action_id: UUID) -> dict[str, object] | None:
        """What routing made of an executor's action (from its audit trail), once it has."""
        row = await self._conn.fetchrow(
            """SELECT at, action, outcome, details->>'executor_code' AS executor_code FROM audit_trail
               WHERE appeal_id = $1 AND details->>'action_id' = $2 ORDER BY id DESC LIMIT 1""",
            appeal_id, str(action_id))
        return dict(row) if row else None

    async def open_assignments(self, executor: str, *, limit: int, after: UUID | None) -> list[AppealState]:
        rows = await self._conn.fetch(
            """SELECT * FROM appeals WHERE executor_code = $1 AND status IN ('assigned', 'answered')
                 AND ($2::uuid IS NULL OR appeal_id > $2) ORDER BY appeal_id LIMIT $3""",
            executor, after, limit)
        return [AppealState(r["appeal_id"], r["registration_number"], r["category"], r["district"], r["status"],
                            r["executor_code"]) for r in rows]


def _state(row: asyncpg.Record, history: tuple[Assignment, ...]) -> AppealState:
    return AppealState(row["appeal_id"], row["registration_number"], row["category"], row["district"],
                       row["status"], row["executor_code"], history,
                       case=json.loads(row["appeal_case"]) if row["appeal_case"] else None, due_at=row["due_at"],
                       assignee_id=row["assignee_id"], assignee_name=row["assignee_name"])
