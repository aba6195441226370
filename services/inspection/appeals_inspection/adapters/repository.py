"""Inspection's tables, through asyncpg: the read model, the review queue, escalations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from appeals_inspection.domain.facts import AppealFactsChange


#: The person responsible for an appeal: the employee of its current executor who took it (or was
#: given it by the head), else the one who last answered it for that executor.
_LAST_ANSWER = """(SELECT w.{column} FROM answers w WHERE w.appeal_id = a.appeal_id
                   AND w.executor_code = a.executor_code ORDER BY w.submitted_at DESC LIMIT 1)"""
_LAST_EMPLOYEE = f"""COALESCE(CASE WHEN a.assignee_executor = a.executor_code THEN a.assignee_id END,
                             {_LAST_ANSWER.format(column="employee_id")})"""
_RESPONSIBLE_NAME = f"""CASE WHEN a.assignee_executor = a.executor_code THEN a.assignee_name
                        ELSE {_LAST_ANSWER.format(column="employee_name")} END"""


def _rows(records: list[asyncpg.Record]) -> list[dict[str, Any]]:
    return [dict(r) for r in records]


class PostgresReadModel:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    # -- facts from events -------------------------------------------------------------
    async def lock_appeal(self, appeal_id: UUID) -> dict[str, Any]:
        # One statement: the upsert's update takes the row lock and returns the row.
        return dict(await self._conn.fetchrow(
            """INSERT INTO appeals (appeal_id) VALUES ($1)
               ON CONFLICT (appeal_id) DO UPDATE SET appeal_id = EXCLUDED.appeal_id RETURNING *""", appeal_id))

    async def has_held(self, appeal_id: UUID, executor_code: str) -> bool:
        return bool(await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM assignments WHERE appeal_id = $1 AND executor_code = $2)",
            appeal_id, executor_code))

    async def apply_facts(self, facts: Sequence[AppealFactsChange]) -> None:
        """One upsert for all: the registration's fields and the executor where given (a
        registration sets every one of its fields, so keeping what is there for a missing one
        changes nothing), the due time only later; rows created when unknown and locked in the
        order given."""
        if not facts:
            return
        registration = [f.registration or {} for f in facts]

        def field(name: str) -> list[Any]:
            return [r.get(name) for r in registration]

        await self._conn.execute(
            """INSERT INTO appeals (appeal_id, registration_number, channel, kind, category, district, registered_at,
                                    executor_code, due_at, text, language, address, lat, long, attributes, attachments,
                                    consulted_by, consulted_by_name, prepared_answer)
               SELECT appeal_id, number, channel, kind, category, district, registered_at, executor_code, due_at,
                      text, language, address, lat, long, attributes::jsonb, attachments::jsonb, consulted_by,
                      consulted_by_name, prepared_answer
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                           $7::timestamptz[], $8::text[], $9::timestamptz[], $10::text[], $11::text[], $12::text[],
                           $13::float8[], $14::float8[], $15::text[], $16::text[], $17::text[], $18::text[],
                           $19::text[]) WITH ORDINALITY
                    AS u(appeal_id, number, channel, kind, category, district, registered_at, executor_code, due_at,
                         text, language, address, lat, long, attributes, attachments, consulted_by, consulted_by_name,
                         prepared_answer, n)
               ORDER BY n
               ON CONFLICT (appeal_id) DO UPDATE SET
                   registration_number = COALESCE(EXCLUDED.registration_number, appeals.registration_number),
                   channel = COALESCE(EXCLUDED.channel, appeals.channel),
                   kind = COALESCE(EXCLUDED.kind, appeals.kind),
                   category = COALESCE(EXCLUDED.category, appeals.category),
                   district = COALESCE(EXCLUDED.district, appeals.district),
                   registered_at = COALESCE(EXCLUDED.registered_at, appeals.registered_at),
                   executor_code = COALESCE(EXCLUDED.executor_code, appeals.executor_code),
                   due_at = GREATEST(appeals.due_at, EXCLUDED.due_at),
                   text = COALESCE(EXCLUDED.text, appeals.text),
                   language = COALESCE(EXCLUDED.language, appeals.language),
                   address = COALESCE(EXCLUDED.address, appeals.address),
                   lat = COALESCE(EXCLUDED.lat, appeals.lat),
                   long = COALESCE(EXCLUDED.long, appeals.long),
                   attributes = COALESCE(EXCLUDED.attributes, appeals.attributes),
                   attachments = COALESCE(EXCLUDED.attachments, appeals.attachments),
                   consulted_by = COALESCE(EXCLUDED.consulted_by, appeals.consulted_by),
                   consulted_by_name = COALESCE(EXCLUDED.consulted_by_name, appeals.consulted_by_name),
                   prepared_answer = COALESCE(EXCLUDED.prepared_answer, appeals.prepared_answer)""",
            [f.appeal_id for f in facts], field("registration_number"), field("channel"), field("kind"),
            field("category"), field("district"), field("registered_at"), [f.executor_code for f in facts],
            [f.due_at for f in facts], field("text"), field("language"), field("address"), field("lat"),
            field("long"), field("attributes"), field("attachments"), field("consulted_by"), field("consulted_by_name"),
            field("prepared_answer"))

    async def add_assignments(self, assignments: Sequence[tuple[UUID, UUID, str, datetime]]) -> None:
        await self._conn.execute(
            """INSERT INTO assignments (event_id, appeal_id, executor_code, assigned_at)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[]) ON CONFLICT DO NOTHING""",
            [a[0] for a in assignments], [a[1] for a in assignments], [a[2] for a in assignments],
            [a[3] for a in assignments])

    async def _update(self, appeal_id: UUID, facts: dict[str, Any]) -> None:
        names = list(facts)
        sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
        await self._conn.execute(f"UPDATE appeals SET {sets} WHERE appeal_id = $1", appeal_id,
                                 *(facts[n] for n in names))

    async def not_routed(self, appeal_id: UUID) -> None:
        await self._conn.execute("UPDATE appeals SET status = 'not_routed' WHERE appeal_id = $1 AND status = 'open'",
                                 appeal_id)

    async def set_assignee(self, appeal_id: UUID, executor_code: str, employee_id: str, name: str | None) -> None:
        await self._conn.execute(
            "UPDATE appeals SET assignee_id = $2, assignee_name = $3, assignee_executor = $4 WHERE appeal_id = $1",
            appeal_id, employee_id, name, executor_code)

    async def add_answer(self, answer: dict[str, Any], *, superseded: bool = False) -> bool:
        """Queue an answer for review (or keep it as superseded); older waiting answers of the
        appeal are superseded."""
        status = await self._conn.execute(
            """INSERT INTO answers (answer_id, appeal_id, executor_code, employee_id, text, language, submitted_at,
                                    portal_submitted_at, status, employee_name, attachments)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11, $9, $10::jsonb) ON CONFLICT DO NOTHING""",
            answer["answer_id"], answer["appeal_id"], answer["executor_code"], answer["employee_id"], answer["text"],
            answer["language"], answer["submitted_at"], answer.get("portal_submitted_at"),
            answer.get("employee_name"), json.dumps(answer.get("attachments") or []),
            "superseded" if superseded else "waiting")
        if not status.endswith(" 1") or superseded:
            return status.endswith(" 1")
        await self._conn.execute(
            """UPDATE answers SET status = 'superseded' WHERE appeal_id = $1 AND status = 'waiting'
               AND answer_id <> $2""", answer["appeal_id"], answer["answer_id"])
        return True

    async def remember_trace(self, answer_id: UUID, traceparent: str) -> None:
        await self._conn.execute("UPDATE answers SET traceparent = $2 WHERE answer_id = $1", answer_id, traceparent)

    async def answer_traceparent(self, answer_id: UUID) -> str | None:
        return await self._conn.fetchval("SELECT traceparent FROM answers WHERE answer_id = $1", answer_id)

    async def citizen_verdict(self, appeal_id: UUID, answer_id: UUID, executor_code: str, resolved: bool,
                              rating: int | None, given_at: datetime, comment: str | None = None) -> None:
        await self._conn.execute(
            """INSERT INTO citizen_verdicts (answer_id, appeal_id, executor_code, resolved, rating, given_at, comment)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING""",
            answer_id, appeal_id, executor_code, resolved, rating, given_at, comment)

    async def reopen(self, appeal_id: UUID, previous_answer_id: UUID, executor_code: str, reopened_at: datetime) -> None:
        """Open again: the accepted answer no longer closes the appeal (it counts as a
        reopening against the executor whose answer it was, not as answered)."""
        inserted = await self._conn.fetchval(
            """INSERT INTO reopenings (appeal_id, previous_answer_id, executor_code, reopened_at)
               SELECT $1, $2, COALESCE(answered_by, $3), $4 FROM appeals WHERE appeal_id = $1 AND status = 'closed'
               ON CONFLICT DO NOTHING RETURNING true""", appeal_id, previous_answer_id, executor_code, reopened_at)
        if inserted:
            await self._update(appeal_id, {"status": "open", "executor_code": executor_code,
                                           "accepted_answer_id": None, "answered_by": None, "answered_at": None,
                                           "accepted_at": None})

    async def appeals_for_update(self, appeal_ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]:
        """Known appeals among ``appeal_ids``, locked in one order (never creates a row)."""
        rows = await self._conn.fetch(
            """SELECT * FROM appeals WHERE appeal_id = ANY($1::uuid[]) AND registration_number IS NOT NULL
               ORDER BY appeal_id FOR UPDATE""", list(appeal_ids))
        return {r["appeal_id"]: dict(r) for r in rows}

    async def merge(self, duplicate_id: UUID, into_id: UUID, at: datetime) -> None:
        await self._update(duplicate_id, {"status": "merged", "merged_into": into_id, "merged_at": at})
        await self._conn.execute("UPDATE answers SET status = 'superseded' WHERE appeal_id = $1 AND status = 'waiting'",
                                 duplicate_id)
        await self._conn.execute("UPDATE escalations SET closed_at = $2 WHERE appeal_id = $1 AND closed_at IS NULL",
                                 duplicate_id, at)

    async def unmerge(self, duplicate_id: UUID) -> None:
        await self._update(duplicate_id, {"status": "open", "merged_into": None, "merged_at": None})

    async def merged_into(self, original_id: UUID) -> list[UUID]:
        rows = await self._conn.fetch(
            "SELECT appeal_id FROM appeals WHERE merged_into = $1 AND status = 'merged' ORDER BY appeal_id", original_id)
        return [r["appeal_id"] for r in rows]

    async def count_merged(self, start: datetime, end: datetime) -> int:
        return await self._conn.fetchval(
            "SELECT count(*) FROM appeals WHERE status = 'merged' AND merged_at >= $1 AND merged_at < $2", start, end)

    async def possible_duplicate(self, appeal_id: UUID, original_appeal_id: UUID, matched_by: str,
                                 distance_m: float | None, linked_at: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO possible_duplicates (appeal_id, original_appeal_id, matched_by, distance_m, linked_at)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
            appeal_id, original_appeal_id, matched_by, distance_m, linked_at)

    async def linked_as_duplicate(self, duplicate_id: UUID, original_id: UUID) -> bool:
        return bool(await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM possible_duplicates WHERE appeal_id = $1 AND original_appeal_id = $2)",
            duplicate_id, original_id))

    async def re_appeal(self, appeal_id: UUID, earlier_appeal_id: UUID, matched_by: str, linked_at: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO re_appeals (appeal_id, earlier_appeal_id, matched_by, linked_at)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""", appeal_id, earlier_appeal_id, matched_by, linked_at)

    async def forwarded_late(self, appeal_id: UUID, executor_code: str, forwarded_at: datetime,
                             reported_at: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO forwarding_breaches (appeal_id, forwarded_at, from_executor_code, reported_at)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""", appeal_id, forwarded_at, executor_code, reported_at)

    async def open_escalation(self, appeal_id: UUID, due_at: datetime, at: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO escalations (appeal_id, due_at, opened_at)
               SELECT appeal_id, $2, $3 FROM appeals WHERE appeal_id = $1 AND status = 'open'
               ON CONFLICT (appeal_id) DO NOTHING""", appeal_id, due_at, at)

    # -- verdicts ---------------------------------------------------------------------
    async def answer_for_update(self, answer_id: UUID) -> dict[str, Any] | None:
        row = await self._conn.fetchrow("SELECT * FROM answers WHERE answer_id = $1 FOR UPDATE", answer_id)
        return dict(row) if row else None

    async def decide(self, answer_id: UUID, status: str, inspector_id: str, reason_code: str | None, comment: str,
                     at: datetime) -> None:
        await self._conn.execute(
            """UPDATE answers SET status = $2, inspector_id = $3, reason_code = $4, comment = $5, decided_at = $6
               WHERE answer_id = $1""", answer_id, status, inspector_id, reason_code, comment, at)

    async def close(self, answer: dict[str, Any], at: datetime) -> None:
        await self._update(answer["appeal_id"], {"status": "closed", "accepted_answer_id": answer["answer_id"],
                                                 "answered_by": answer["executor_code"],
                                                 "answered_at": answer["submitted_at"], "accepted_at": at})
        await self._conn.execute("UPDATE escalations SET closed_at = $2 WHERE appeal_id = $1 AND closed_at IS NULL",
                                 answer["appeal_id"], at)

    # -- reads ------------------------------------------------------------------------
    async def queue(self, *, executor: str | None, category: str | None, district: str | None,
                    older_than: datetime | None, after: datetime | None, limit: int) -> list[dict[str, Any]]:
        return _rows(await self._conn.fetch(
            """SELECT w.answer_id, w.appeal_id, a.registration_number, w.executor_code, w.employee_id,
                      a.category, a.district, w.language, w.text, w.submitted_at, a.due_at
               FROM answers w JOIN appeals a USING (appeal_id)
               WHERE w.status = 'waiting'
                 AND ($1::text IS NULL OR w.executor_code = $1) AND ($2::text IS NULL OR a.category = $2)
                 AND ($3::text IS NULL OR a.district = $3) AND ($4::timestamptz IS NULL OR w.submitted_at <= $4)
                 AND ($5::timestamptz IS NULL OR w.submitted_at > $5)
               ORDER BY w.submitted_at LIMIT $6""", executor, category, district, older_than, after, limit))

    async def count_waiting(self, *, executor: str | None, category: str | None, district: str | None,
                            older_than: datetime | None) -> int:
        """How many answers wait for review under the queue's filters."""
        return await self._conn.fetchval(
            """SELECT count(*) FROM answers w JOIN appeals a USING (appeal_id)
               WHERE w.status = 'waiting'
                 AND ($1::text IS NULL OR w.executor_code = $1) AND ($2::text IS NULL OR a.category = $2)
                 AND ($3::text IS NULL OR a.district = $3) AND ($4::timestamptz IS NULL OR w.submitted_at <= $4)""",
            executor, category, district, older_than)

    async def answer(self, answer_id: UUID) -> dict[str, Any] | None:
        row = await self._conn.fetchrow("SELECT * FROM answers WHERE answer_id = $1", answer_id)
        if row is None:
            return None
        return {**dict(row), "attachments": json.loads(row["attachments"]) if row["attachments"] else []}

    async def timeline(self, appeal_id: UUID) -> list[dict[str, Any]]:
        """What happened to the appeal across the services, in order: ``event`` names it,
        ``executor_code``, ``detail`` and ``ref`` (another appeal's number; a verdict's comment) say more."""
        return _rows(await self._conn.fetch(
            """SELECT * FROM (
                 SELECT registered_at AS at, 'registered' AS event, NULL::text AS executor_code, NULL::text AS detail,
                        NULL::text AS ref FROM appeals WHERE appeal_id = $1 AND registered_at IS NOT NULL
                 UNION ALL SELECT assigned_at, 'assigned', executor_code, NULL, NULL FROM assignments WHERE appeal_id = $1
                 UNION ALL SELECT submitted_at, 'answered', executor_code, employee_id, NULL FROM answers
                           WHERE appeal_id = $1
                 UNION ALL SELECT decided_at, status, executor_code, reason_code, NULL FROM answers
                           WHERE appeal_id = $1 AND status IN ('accepted', 'returned')
                 UNION ALL SELECT opened_at, 'escalated', NULL, NULL, NULL FROM escalations WHERE appeal_id = $1
                 UNION ALL SELECT reported_at, 'forwarded_late', from_executor_code, NULL, NULL FROM forwarding_breaches
                           WHERE appeal_id = $1
                 UNION ALL SELECT given_at, 'verdict', executor_code,
                                  CASE WHEN resolved THEN 'resolved' ELSE 'not_resolved' END
                                  || COALESCE(':' || rating::text, ''), comment FROM citizen_verdicts WHERE appeal_id = $1
                 UNION ALL SELECT reopened_at, 'reopened', executor_code, NULL, NULL FROM reopenings WHERE appeal_id = $1
                 UNION ALL SELECT r.linked_at, 're_appeal', NULL, r.matched_by, e.registration_number
                           FROM re_appeals r LEFT JOIN appeals e ON e.appeal_id = r.earlier_appeal_id
                           WHERE r.appeal_id = $1
                 UNION ALL SELECT d.linked_at, 'duplicate', NULL, d.matched_by, o.registration_number
                           FROM possible_duplicates d LEFT JOIN appeals o ON o.appeal_id = d.original_appeal_id
                           WHERE d.appeal_id = $1
                 UNION ALL SELECT a.merged_at, 'merged', NULL, NULL, o.registration_number
                           FROM appeals a LEFT JOIN appeals o ON o.appeal_id = a.merged_into
                           WHERE a.appeal_id = $1 AND a.merged_at IS NOT NULL
               ) t WHERE at IS NOT NULL ORDER BY at, event""", appeal_id))

    async def history(self, appeal_id: UUID) -> dict[str, Any] | None:
        appeal = await self._conn.fetchrow("SELECT * FROM appeals WHERE appeal_id = $1", appeal_id)
        if appeal is None:
            return None
        assignments = await self._conn.fetch(
            "SELECT executor_code, assigned_at FROM assignments WHERE appeal_id = $1 ORDER BY assigned_at", appeal_id)
        answers = await self._conn.fetch(
            """SELECT answer_id, executor_code, employee_id, employee_name, attachments, text, language, submitted_at,
                      status, inspector_id,
                      reason_code, comment, decided_at FROM answers WHERE appeal_id = $1 ORDER BY submitted_at""",
            appeal_id)
        escalation = await self._conn.fetchrow("SELECT * FROM escalations WHERE appeal_id = $1", appeal_id)
        chain = await self._conn.fetch(
            """WITH RECURSIVE back(appeal_id, depth) AS (
                   SELECT earlier_appeal_id, 1 FROM re_appeals WHERE appeal_id = $1
                   UNION SELECT r.earlier_appeal_id, b.depth + 1 FROM re_appeals r JOIN back b USING (appeal_id)
                   WHERE b.depth < 50),
               forth(appeal_id, depth) AS (
                   SELECT appeal_id, 1 FROM re_appeals WHERE earlier_appeal_id = $1
                   UNION SELECT r.appeal_id, f.depth + 1 FROM re_appeals r JOIN forth f ON r.earlier_appeal_id = f.appeal_id
                   WHERE f.depth < 50)
               SELECT a.appeal_id, a.registration_number, a.registered_at, a.executor_code, a.status
               FROM appeals a WHERE a.appeal_id IN (SELECT appeal_id FROM back UNION SELECT appeal_id FROM forth
                                                    UNION SELECT $1)
               ORDER BY a.registered_at, a.registration_number""", appeal_id)
        duplicates = await self._conn.fetch(
            """SELECT d.appeal_id, d.original_appeal_id, d.matched_by, d.distance_m, d.linked_at,
                      a.registration_number, o.registration_number AS original_registration_number
               FROM possible_duplicates d LEFT JOIN appeals a ON a.appeal_id = d.appeal_id
               LEFT JOIN appeals o ON o.appeal_id = d.original_appeal_id
               WHERE d.appeal_id = $1 OR d.original_appeal_id = $1 ORDER BY d.linked_at""", appeal_id)
        facts = dict(appeal)
        for name in ("attributes", "attachments"):  # jsonb comes as text
            facts[name] = json.loads(facts[name]) if facts.get(name) else ({} if name == "attributes" else [])
        answers = [{**dict(r), "attachments": json.loads(r["attachments"]) if r["attachments"] else []}
                   for r in answers]
        return {"appeal": facts, "assignments": _rows(assignments), "answers": answers,
                "escalation": dict(escalation) if escalation else None,
                "re_appeal_chain": _rows(chain) if len(chain) > 1 else [],
                "possible_duplicates": _rows(duplicates)}

    async def escalations(self, *, open_only: bool, now: datetime) -> list[dict[str, Any]]:
        return _rows(await self._conn.fetch(
            f"""SELECT e.appeal_id, a.registration_number, a.executor_code, {_LAST_EMPLOYEE} AS employee_id,
                      {_RESPONSIBLE_NAME} AS employee_name,
                      e.due_at, e.opened_at, e.closed_at,
                      EXTRACT(EPOCH FROM COALESCE(e.closed_at, $2) - e.opened_at) / 3600 AS age_hours
               FROM escalations e JOIN appeals a USING (appeal_id)
               WHERE NOT $1 OR e.closed_at IS NULL ORDER BY e.opened_at""", open_only, now))

    async def scorecards(self, start: datetime, end: datetime, as_of: datetime) -> list[dict[str, Any]]:
        """Per executor: assigned and returned in the period, answered (accepted in the period)
        and of those on time, overdue at ``as_of``, median hours from registration to the
        accepted answer, appeals it forwarded after the forwarding limit (reported in the period)."""
        return _rows(await self._conn.fetch(
            """WITH assigned AS (
                   SELECT executor_code, count(*) AS n FROM assignments
                   WHERE assigned_at >= $1 AND assigned_at < $2 GROUP BY 1),
               answered AS (
                   SELECT answered_by AS executor_code, count(*) AS n,
                          count(*) FILTER (WHERE answered_at < due_at) AS on_time,
                          percentile_cont(0.5) WITHIN GROUP (
                              ORDER BY EXTRACT(EPOCH FROM answered_at - registered_at) / 3600) AS median_hours
                   FROM appeals WHERE accepted_at >= $1 AND accepted_at < $2 GROUP BY 1),
               returned AS (
                   SELECT executor_code, count(*) AS n FROM answers
                   WHERE status = 'returned' AND decided_at >= $1 AND decided_at < $2 GROUP BY 1),
               overdue AS (
                   SELECT executor_code, count(*) AS n FROM appeals
                   WHERE due_at < $3 AND status NOT IN ('not_routed', 'merged') AND registered_at < $3
                     AND (accepted_at IS NULL OR accepted_at > $3) GROUP BY 1),
               re_appealed AS (
                   SELECT COALESCE(e.answered_by, e.executor_code) AS executor_code, count(*) AS n
                   FROM re_appeals r JOIN appeals e ON e.appeal_id = r.earlier_appeal_id
                   WHERE r.linked_at >= $1 AND r.linked_at < $2 GROUP BY 1),
               reopened AS (
                   SELECT executor_code, count(*) AS n FROM reopenings
                   WHERE reopened_at >= $1 AND reopened_at < $2 GROUP BY 1),
               rated AS (
                   SELECT executor_code, count(rating) AS n, avg(rating) AS mean FROM citizen_verdicts
                   WHERE given_at >= $1 AND given_at < $2 GROUP BY 1),
               forwarded_late AS (
                   SELECT from_executor_code AS executor_code, count(*) AS n FROM forwarding_breaches
                   WHERE reported_at >= $1 AND reported_at < $2 GROUP BY 1),
               executors AS (
                   SELECT executor_code FROM assigned UNION SELECT executor_code FROM answered
                   UNION SELECT executor_code FROM returned UNION SELECT executor_code FROM overdue
                   UNION SELECT executor_code FROM forwarded_late UNION SELECT executor_code FROM reopened
                   UNION SELECT executor_code FROM rated UNION SELECT executor_code FROM re_appealed)
               SELECT e.executor_code, COALESCE(s.n, 0) AS assigned, COALESCE(w.n, 0) AS answered,
                      COALESCE(w.on_time, 0) AS answered_on_time, COALESCE(o.n, 0) AS overdue_now,
                      COALESCE(r.n, 0) AS returned, w.median_hours AS median_hours_to_answer,
                      COALESCE(f.n, 0) AS forwarded_late, COALESCE(ro.n, 0) AS reopened_by_citizens,
                      COALESCE(ra.n, 0) AS rated, ra.mean AS mean_rating, COALESCE(rp.n, 0) AS re_appeals
               FROM executors e LEFT JOIN assigned s USING (executor_code) LEFT JOIN answered w USING (executor_code)
               LEFT JOIN returned r USING (executor_code) LEFT JOIN overdue o USING (executor_code)
               LEFT JOIN forwarded_late f USING (executor_code) LEFT JOIN reopened ro USING (executor_code)
               LEFT JOIN rated ra USING (executor_code) LEFT JOIN re_appealed rp USING (executor_code)
               WHERE e.executor_code IS NOT NULL""", start, end, as_of))

    async def employee_scorecards(self, start: datetime, end: datetime, as_of: datetime) -> list[dict[str, Any]]:
        """Per employee of each executor: answers given in the period, answers returned in it,
        accepted answers (accepted in it) and of those late, appeals overdue at ``as_of`` they
        are responsible for, and citizens' ratings given in it of their answers."""
        return _rows(await self._conn.fetch(
            f"""WITH answered AS (
                   SELECT executor_code, employee_id, count(*) AS n FROM answers
                   WHERE submitted_at >= $1 AND submitted_at < $2 GROUP BY 1, 2),
               returned AS (
                   SELECT executor_code, employee_id, count(*) AS n FROM answers
                   WHERE status = 'returned' AND decided_at >= $1 AND decided_at < $2 GROUP BY 1, 2),
               accepted AS (
                   SELECT w.executor_code, w.employee_id, count(*) AS n,
                          count(*) FILTER (WHERE w.submitted_at >= a.due_at) AS late
                   FROM answers w JOIN appeals a USING (appeal_id)
                   WHERE w.status = 'accepted' AND w.decided_at >= $1 AND w.decided_at < $2 GROUP BY 1, 2),
               overdue AS (
                   SELECT a.executor_code, {_LAST_EMPLOYEE} AS employee_id, count(*) AS n FROM appeals a
                   WHERE a.due_at < $3 AND a.status NOT IN ('not_routed', 'merged') AND a.registered_at < $3
                     AND (a.accepted_at IS NULL OR a.accepted_at > $3) GROUP BY 1, 2),
               rated AS (
                   SELECT w.executor_code, w.employee_id, count(v.rating) AS n, avg(v.rating) AS mean
                   FROM citizen_verdicts v JOIN answers w USING (answer_id)
                   WHERE v.given_at >= $1 AND v.given_at < $2 GROUP BY 1, 2),
               people AS (
                   SELECT executor_code, employee_id FROM answered UNION SELECT executor_code, employee_id FROM returned
                   UNION SELECT executor_code, employee_id FROM accepted
                   UNION SELECT executor_code, employee_id FROM overdue WHERE employee_id IS NOT NULL
                   UNION SELECT executor_code, employee_id FROM rated)
               SELECT p.executor_code, p.employee_id,
                      COALESCE((SELECT w.employee_name FROM answers w WHERE w.executor_code = p.executor_code
                                  AND w.employee_id = p.employee_id AND w.employee_name IS NOT NULL
                                ORDER BY w.submitted_at DESC LIMIT 1),
                               (SELECT a.assignee_name FROM appeals a WHERE a.assignee_executor = p.executor_code
                                  AND a.assignee_id = p.employee_id AND a.assignee_name IS NOT NULL LIMIT 1))
                          AS employee_name,
                      COALESCE(w.n, 0) AS answered, COALESCE(r.n, 0) AS returned, COALESCE(c.n, 0) AS accepted,
                      COALESCE(c.late, 0) AS accepted_late, COALESCE(o.n, 0) AS overdue_now,
                      COALESCE(ra.n, 0) AS rated, ra.mean AS mean_rating
               FROM people p LEFT JOIN answered w USING (executor_code, employee_id)
               LEFT JOIN returned r USING (executor_code, employee_id) LEFT JOIN accepted c USING (executor_code, employee_id)
               LEFT JOIN overdue o USING (executor_code, employee_id) LEFT JOIN rated ra USING (executor_code, employee_id)
               ORDER BY p.executor_code, p.employee_id""", start, end, as_of))

    async def received(self, start: datetime, end: datetime) -> dict[str, Any]:
        rows = await self._conn.fetch(
            """SELECT channel, kind, category, count(*) AS n FROM appeals
               WHERE registered_at >= $1 AND registered_at < $2 GROUP BY GROUPING SETS ((channel), (kind), (category))""",
            start, end)
        out: dict[str, Any] = {"total": 0, "by_channel": {}, "by_kind": {}, "by_category": {}}
        for r in rows:
            if r["channel"] is not None:
                out["by_channel"][r["channel"]] = r["n"]
                out["total"] += r["n"]
            elif r["kind"] is not None:
                out["by_kind"][r["kind"]] = r["n"]
            elif r["category"] is not None:
                out["by_category"][r["category"]] = r["n"]
        return out

    async def consultations(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Consultations operators answered at once, by topic (the category) and operator."""
        return _rows(await self._conn.fetch(
            """SELECT category AS topic, consulted_by AS operator_id, max(consulted_by_name) AS operator_name,
                      count(*) AS answered, count(prepared_answer) AS from_prepared
               FROM appeals WHERE registered_at >= $1 AND registered_at < $2 AND consulted_by IS NOT NULL
               GROUP BY 1, 2 ORDER BY 1, 4 DESC, 2""", start, end))

    async def count_received(self, start: datetime, end: datetime) -> int:
        return await self._conn.fetchval(
            "SELECT count(*) FROM appeals WHERE registered_at >= $1 AND registered_at < $2", start, end)

    async def longest_overdue(self, as_of: datetime, limit: int) -> list[dict[str, Any]]:
        return _rows(await self._conn.fetch(
            f"""SELECT a.appeal_id, a.registration_number, a.executor_code, a.category, a.district, a.due_at,
                      {_LAST_EMPLOYEE} AS employee_id, {_RESPONSIBLE_NAME} AS employee_name,
                      EXTRACT(EPOCH FROM $1 - a.due_at) / 86400 AS days_overdue
               FROM appeals a
               WHERE a.due_at < $1 AND a.status NOT IN ('not_routed', 'merged') AND a.registered_at < $1
                 AND (a.accepted_at IS NULL OR a.accepted_at > $1)
               ORDER BY a.due_at, a.registration_number LIMIT $2""", as_of, limit))
