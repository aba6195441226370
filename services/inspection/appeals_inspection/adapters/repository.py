"""Inspection's write model, through asyncpg: the facts events bring, answers, verdicts,
merges and escalations; the reads people make are :class:`~appeals_inspection.adapters.report_queries.ReportQueries`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from appeals_inspection.adapters.report_queries import ReportQueries
from appeals_inspection.domain.facts import AppealFactsChange, AppealState, Registration
from appeals_inspection.domain.review import ArrivingAnswer, ReviewedAnswer


class PostgresReadModel(ReportQueries):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    # -- facts from events -------------------------------------------------------------
    async def lock_appeal(self, appeal_id: UUID) -> AppealState:
        # One statement: the upsert's update takes the row lock and returns the row.
        return AppealState.of(await self._conn.fetchrow(
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
        registration = [_columns(f.registration) for f in facts]

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

    async def add_answer(self, answer: ArrivingAnswer, *, superseded: bool = False) -> bool:
        """Queue an answer for review (or keep it as superseded); older waiting answers of the
        appeal are superseded."""
        status = await self._conn.execute(
            """INSERT INTO answers (answer_id, appeal_id, executor_code, employee_id, text, language, submitted_at,
                                    portal_submitted_at, status, employee_name, attachments)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11, $9, $10::jsonb) ON CONFLICT DO NOTHING""",
            answer.answer_id, answer.appeal_id, answer.executor_code, answer.employee_id, answer.text,
            answer.language, answer.submitted_at, answer.portal_submitted_at, answer.employee_name,
            json.dumps([a.model_dump(mode="json") for a in answer.attachments]),
            "superseded" if superseded else "waiting")
        if not status.endswith(" 1") or superseded:
            return status.endswith(" 1")
        await self._conn.execute(
            """UPDATE answers SET status = 'superseded' WHERE appeal_id = $1 AND status = 'waiting'
               AND answer_id <> $2""", answer.appeal_id, answer.answer_id)
        return True

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

    async def appeals_for_update(self, appeal_ids: Sequence[UUID]) -> dict[UUID, AppealState]:
        """Known appeals among ``appeal_ids``, locked in one order (never creates a row)."""
        rows = await self._conn.fetch(
            """SELECT * FROM appeals WHERE appeal_id = ANY($1::uuid[]) AND registration_number IS NOT NULL
               ORDER BY appeal_id FOR UPDATE""", list(appeal_ids))
        return {r["appeal_id"]: AppealState.of(r) for r in rows}

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
    async def answer_for_update(self, answer_id: UUID) -> ReviewedAnswer | None:
        row = await self._conn.fetchrow("SELECT * FROM answers WHERE answer_id = $1 FOR UPDATE", answer_id)
        return ReviewedAnswer.of(row) if row else None

    async def decide(self, answer_id: UUID, status: str, inspector_id: str, reason_code: str | None, comment: str,
                     at: datetime) -> None:
        await self._conn.execute(
            """UPDATE answers SET status = $2, inspector_id = $3, reason_code = $4, comment = $5, decided_at = $6
               WHERE answer_id = $1""", answer_id, status, inspector_id, reason_code, comment, at)

    async def close(self, answer: ReviewedAnswer, at: datetime) -> None:
        await self._update(answer.appeal_id, {"status": "closed", "accepted_answer_id": answer.answer_id,
                                              "answered_by": answer.executor_code, "answered_at": answer.submitted_at,
                                              "accepted_at": at})
        await self._conn.execute("UPDATE escalations SET closed_at = $2 WHERE appeal_id = $1 AND closed_at IS NULL",
                                 answer.appeal_id, at)


def _columns(registration: Registration | None) -> dict[str, Any]:
    """A registration as the appeals table's columns (none: every column left as it is)."""
    if registration is None:
        return {}
    columns = {f.name: getattr(registration, f.name) for f in fields(registration)}
    columns["attributes"] = json.dumps(dict(registration.attributes), ensure_ascii=False) \
        if registration.attributes else None
    columns["attachments"] = json.dumps([a.model_dump(mode="json") for a in registration.attachments]) \
        if registration.attachments else None
    return columns
