"""Inspection's reads for people: the review queue, an answer and an appeal's history,
escalations, scorecards and the weekly report's figures, apart from the write model that
events and verdicts change (:mod:`appeals_inspection.adapters.repository`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

import asyncpg

from appeals_contracts.events import AttachmentRef
from appeals_inspection.domain.history import (
    AnswerRecord,
    AnswerView,
    AppealFacts,
    AppealHistory,
    Assignment,
    ChainLink,
    DuplicateLink,
    Escalation,
    TimelineEntry,
)
from appeals_inspection.domain.figures import (
    ConsultationRow,
    EmployeeRow,
    EscalationRow,
    Overdue,
    QueueRow,
    Received,
    ScorecardRow,
)


#: The person responsible for an appeal: the employee of its current executor who took it (or was
#: given it by the head), else the one who last answered it for that executor.
_LAST_ANSWER = """(SELECT w.{column} FROM answers w WHERE w.appeal_id = a.appeal_id
                   AND w.executor_code = a.executor_code ORDER BY w.submitted_at DESC LIMIT 1)"""
_LAST_EMPLOYEE = f"""COALESCE(CASE WHEN a.assignee_executor = a.executor_code THEN a.assignee_id END,
                             {_LAST_ANSWER.format(column="employee_id")})"""
_RESPONSIBLE_NAME = f"""CASE WHEN a.assignee_executor = a.executor_code THEN a.assignee_name
                        ELSE {_LAST_ANSWER.format(column="employee_name")} END"""


Shape = TypeVar("Shape", bound=Mapping[str, object])


def _shaped(records: Sequence[Mapping[str, Any]], shape: type[Shape]) -> list[Shape]:
    """Rows as the typed view ``shape`` declares them: exactly its keys (a key the query does
    not select is a ``KeyError`` in the tests, never a missing field in an answer)."""
    keys = shape.__required_keys__ | shape.__optional_keys__  # type: ignore[attr-defined]
    return [cast(Shape, {k: r[k] for k in keys}) for r in records]


def _with_attachments(record: asyncpg.Record, shape: type[Shape]) -> Shape:
    """A row whose ``attachments`` (jsonb, which comes as text) are the contracts' references."""
    row = dict(record)
    row["attachments"] = [AttachmentRef.model_validate(a) for a in json.loads(row["attachments"] or "[]")]
    return _shaped([row], shape)[0]


class ReportQueries:
    """The queries, over the unit of work's connection (the model's reads: ``uow.model.queue`` …)."""

    _conn: asyncpg.Connection

    async def queue(self, *, executor: str | None, category: str | None, district: str | None,
                    older_than: datetime | None, after: datetime | None, limit: int) -> list[QueueRow]:
        return _shaped(await self._conn.fetch(
            """SELECT w.answer_id, w.appeal_id, a.registration_number, w.executor_code, w.employee_id,
                      a.category, a.district, w.language, w.text, w.submitted_at, a.due_at
               FROM answers w JOIN appeals a USING (appeal_id)
               WHERE w.status = 'waiting'
                 AND ($1::text IS NULL OR w.executor_code = $1) AND ($2::text IS NULL OR a.category = $2)
                 AND ($3::text IS NULL OR a.district = $3) AND ($4::timestamptz IS NULL OR w.submitted_at <= $4)
                 AND ($5::timestamptz IS NULL OR w.submitted_at > $5)
               ORDER BY w.submitted_at LIMIT $6""", executor, category, district, older_than, after, limit), QueueRow)

    async def count_waiting(self, *, executor: str | None, category: str | None, district: str | None,
                            older_than: datetime | None) -> int:
        """How many answers wait for review under the queue's filters."""
        return await self._conn.fetchval(
            """SELECT count(*) FROM answers w JOIN appeals a USING (appeal_id)
               WHERE w.status = 'waiting'
                 AND ($1::text IS NULL OR w.executor_code = $1) AND ($2::text IS NULL OR a.category = $2)
                 AND ($3::text IS NULL OR a.district = $3) AND ($4::timestamptz IS NULL OR w.submitted_at <= $4)""",
            executor, category, district, older_than)

    async def answer(self, answer_id: UUID) -> AnswerView | None:
        row = await self._conn.fetchrow("SELECT * FROM answers WHERE answer_id = $1", answer_id)
        return None if row is None else _with_attachments(row, AnswerView)

    async def timeline(self, appeal_id: UUID) -> list[TimelineEntry]:
        """What happened to the appeal across the services, in order: ``event`` names it,
        ``executor_code``, ``detail`` and ``ref`` (another appeal's number; a verdict's comment) say more."""
        return _shaped(await self._conn.fetch(
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
               ) t WHERE at IS NOT NULL ORDER BY at, event""", appeal_id), TimelineEntry)

    async def history(self, appeal_id: UUID) -> AppealHistory | None:
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
        facts = _with_attachments(appeal, AppealFacts)
        facts["attributes"] = json.loads(appeal["attributes"]) if appeal["attributes"] else {}  # jsonb comes as text
        return AppealHistory(
            appeal=facts, assignments=_shaped(assignments, Assignment),
            answers=[_with_attachments(r, AnswerRecord) for r in answers],
            escalation=_shaped([escalation], Escalation)[0] if escalation else None,
            re_appeal_chain=_shaped(chain, ChainLink) if len(chain) > 1 else [],
            possible_duplicates=_shaped(duplicates, DuplicateLink))

    async def escalations(self, *, open_only: bool, now: datetime) -> list[EscalationRow]:
        return _shaped(await self._conn.fetch(
            f"""SELECT e.appeal_id, a.registration_number, a.executor_code, {_LAST_EMPLOYEE} AS employee_id,
                      {_RESPONSIBLE_NAME} AS employee_name,
                      e.due_at, e.opened_at, e.closed_at,
                      (EXTRACT(EPOCH FROM COALESCE(e.closed_at, $2) - e.opened_at) / 3600)::float8 AS age_hours
               FROM escalations e JOIN appeals a USING (appeal_id)
               WHERE NOT $1 OR e.closed_at IS NULL ORDER BY e.opened_at""", open_only, now), EscalationRow)

    async def scorecards(self, start: datetime, end: datetime, as_of: datetime) -> list[ScorecardRow]:
        """Per executor: assigned and returned in the period, answered (accepted in the period)
        and of those on time, overdue at ``as_of``, median hours from registration to the
        accepted answer, appeals it forwarded after the forwarding limit (reported in the period)."""
        return _shaped(await self._conn.fetch(
            """WITH assigned AS (
                   SELECT executor_code, count(*) AS n FROM assignments
                   WHERE assigned_at >= $1 AND assigned_at < $2 GROUP BY 1),
               answered AS (
                   SELECT answered_by AS executor_code, count(*) AS n,
                          count(*) FILTER (WHERE answered_at < due_at) AS on_time,
                          percentile_cont(0.5) WITHIN GROUP (
                              ORDER BY EXTRACT(EPOCH FROM answered_at - registered_at) / 3600)::float8 AS median_hours
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
                   SELECT executor_code, count(rating) AS n, avg(rating)::float8 AS mean FROM citizen_verdicts
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
               WHERE e.executor_code IS NOT NULL""", start, end, as_of), ScorecardRow)

    async def employee_scorecards(self, start: datetime, end: datetime, as_of: datetime) -> list[EmployeeRow]:
        """Per employee of each executor: answers given in the period, answers returned in it,
        accepted answers (accepted in it) and of those late, appeals overdue at ``as_of`` they
        are responsible for, and citizens' ratings given in it of their answers."""
        return _shaped(await self._conn.fetch(
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
                   SELECT w.executor_code, w.employee_id, count(v.rating) AS n, avg(v.rating)::float8 AS mean
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
               ORDER BY p.executor_code, p.employee_id""", start, end, as_of), EmployeeRow)

    async def received(self, start: datetime, end: datetime) -> Received:
        rows = await self._conn.fetch(
            """SELECT channel, kind, category, count(*) AS n FROM appeals
               WHERE registered_at >= $1 AND registered_at < $2 GROUP BY GROUPING SETS ((channel), (kind), (category))""",
            start, end)
        out = Received(total=0, by_channel={}, by_kind={}, by_category={})
        for r in rows:
            if r["channel"] is not None:
                out["by_channel"][r["channel"]] = r["n"]
                out["total"] += r["n"]
            elif r["kind"] is not None:
                out["by_kind"][r["kind"]] = r["n"]
            elif r["category"] is not None:
                out["by_category"][r["category"]] = r["n"]
        return out

    async def consultations(self, start: datetime, end: datetime) -> list[ConsultationRow]:
        """Consultations operators answered at once, by topic (the category) and operator."""
        return _shaped(await self._conn.fetch(
            """SELECT category AS topic, consulted_by AS operator_id, max(consulted_by_name) AS operator_name,
                      count(*) AS answered, count(prepared_answer) AS from_prepared
               FROM appeals WHERE registered_at >= $1 AND registered_at < $2 AND consulted_by IS NOT NULL
               GROUP BY 1, 2 ORDER BY 1, 4 DESC, 2""", start, end), ConsultationRow)

    async def count_received(self, start: datetime, end: datetime) -> int:
        count: int = await self._conn.fetchval(
            "SELECT count(*) FROM appeals WHERE registered_at >= $1 AND registered_at < $2", start, end)
        return count

    async def count_merged(self, start: datetime, end: datetime) -> int:
        """Duplicates merged into their originals in the period."""
        count: int = await self._conn.fetchval(
            "SELECT count(*) FROM appeals WHERE status = 'merged' AND merged_at >= $1 AND merged_at < $2", start, end)
        return count

    async def longest_overdue(self, as_of: datetime, limit: int) -> list[Overdue]:
        return _shaped(await self._conn.fetch(
            f"""SELECT a.appeal_id, a.registration_number, a.executor_code, a.category, a.district, a.due_at,
                      {_LAST_EMPLOYEE} AS employee_id, {_RESPONSIBLE_NAME} AS employee_name,
                      (EXTRACT(EPOCH FROM $1 - a.due_at) / 86400)::float8 AS days_overdue
               FROM appeals a
               WHERE a.due_at < $1 AND a.status NOT IN ('not_routed', 'merged') AND a.registered_at < $1
                 AND (a.accepted_at IS NULL OR a.accepted_at > $1)
               ORDER BY a.due_at, a.registration_number LIMIT $2""", as_of, limit), Overdue)
