"""Intake's tables, through asyncpg."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from uuid import UUID

import asyncpg

from appeals_intake.domain.attachments import AttachmentRef, Stored
from appeals_intake.domain.model import Appeal, Consultation, Contact, SubmitAppeal
from appeals_intake.domain.duplicates import Candidate, DuplicateLink, DuplicateProbe
from appeals_intake.domain.places import Location
from appeals_intake.domain.reappeals import Earlier, Marks, ReAppeal
from appeals_intake.domain.status import TimelineEntry

_COLUMNS = ("appeal_id", "registration_number", "channel", "social_network", "channel_message_id", "kind",
            "category", "district", "address", "text", "language", "anonymous", "reports_crime_or_threat",
            "citizen", "submitted_at", "registered_at", "correlation_id", "author_subject", "lat", "long", "attributes",
            "submitted_by", "operator", "operator_name", "consultation", "re_appeal_of")


#: A possible original's columns, and the test that it is still open (its status from the timeline).
_CANDIDATE = "a.appeal_id, a.registration_number, a.registered_at, a.category, a.lat, a.long, a.address"
_OPEN = """NOT EXISTS (SELECT 1 FROM appeal_timeline t WHERE t.appeal_id = a.appeal_id
            AND t.event_type IN ('inspection.answer_accepted', 'deadline.closed', 'inspection.appeal_merged',
                                 'appeal.not_routed'))"""


class PostgresAppealRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def find_by_channel_keys(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Appeal]:
        if not keys:
            return {}
        rows = await self._conn.fetch(
            f"""SELECT {", ".join(_COLUMNS)} FROM appeals
                WHERE (channel, channel_message_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))""",
            [k[0] for k in keys], [k[1] for k in keys],
        )
        return {(r["channel"], r["channel_message_id"]): _appeal(r) for r in rows}

    async def allocate_numbers(self, year: int, count: int) -> int:
        """Reserve ``count`` numbers of ``year``; return the first. Holds the year's row lock
        until the transaction ends, so concurrent registrations wait rather than collide."""
        return await self._conn.fetchval(
            """INSERT INTO registration_counters AS c (year, last_number) VALUES ($1, $2)
               ON CONFLICT (year) DO UPDATE SET last_number = c.last_number + EXCLUDED.last_number
               RETURNING last_number - $2 + 1""",
            year, count,
        )

    async def add(self, appeals: Sequence[Appeal]) -> None:
        await self._conn.copy_records_to_table("appeals", records=[_row(a) for a in appeals], columns=_COLUMNS)

    async def get_by_number(self, registration_number: str) -> Appeal | None:
        row = await self._conn.fetchrow(
            f"SELECT {', '.join(_COLUMNS)} FROM appeals WHERE registration_number = $1", registration_number)
        return _appeal(row) if row else None

    async def by_author(self, subject: str, limit: int) -> list[Appeal]:
        rows = await self._conn.fetch(
            f"""SELECT {', '.join(_COLUMNS)} FROM appeals WHERE author_subject = $1
                ORDER BY registered_at DESC, registration_number DESC LIMIT $2""", subject, limit)
        return [_appeal(r) for r in rows]

    async def holders(self, appeal_ids: Sequence[UUID]) -> dict[UUID, set[str]]:
        rows = await self._conn.fetch(
            """SELECT DISTINCT appeal_id, details->>'executor_code' AS executor FROM appeal_timeline
               WHERE appeal_id = ANY($1::uuid[]) AND event_type IN ('appeal.assigned', 'appeal.reopened')""",
            list(set(appeal_ids)))
        found: dict[UUID, set[str]] = {}
        for r in rows:
            if r["executor"]:
                found.setdefault(r["appeal_id"], set()).add(r["executor"])
        return found

    async def add_timeline(self, rows: Sequence[tuple[UUID, TimelineEntry]]) -> None:
        """One statement for the whole batch."""
        await self._conn.execute(
            """INSERT INTO appeal_timeline (event_id, appeal_id, event_type, occurred_at, details)
               SELECT event_id, appeal_id, event_type, occurred_at, details::jsonb
               FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::text[])
                    AS t(event_id, appeal_id, event_type, occurred_at, details)
               ON CONFLICT (event_id) DO NOTHING""",
            [UUID(e.event_id) for _, e in rows], [appeal_id for appeal_id, _ in rows], [e.event_type for _, e in rows],
            [e.occurred_at for _, e in rows], [json.dumps(e.details, default=str) for _, e in rows])

    async def by_numbers(self, numbers: Sequence[str]) -> list[Appeal]:
        rows = await self._conn.fetch(
            f"""SELECT {', '.join(_COLUMNS)} FROM appeals WHERE registration_number = ANY($1::text[])
                ORDER BY registered_at DESC, registration_number DESC""", list(numbers))
        return [_appeal(r) for r in rows]

    async def by_marks(self, keys: Sequence[tuple[str, str]], limit: int) -> list[Appeal]:
        rows = await self._conn.fetch(
            f"""SELECT {', '.join(_COLUMNS)} FROM appeals WHERE appeal_id IN (
                    SELECT c.appeal_id FROM citizen_marks c JOIN unnest($1::text[], $2::text[]) AS k(kind, key)
                      ON c.kind = k.kind AND c.key_hash = k.key)
                ORDER BY registered_at DESC, registration_number DESC LIMIT $3""",
            [k for k, _ in keys], [h for _, h in keys], limit)
        return [_appeal(r) for r in rows]

    async def prepared_answers(self) -> list[dict]:
        rows = await self._conn.fetch("SELECT code, topic, title, body, active FROM prepared_answers ORDER BY code")
        return [{"code": r["code"], "topic": r["topic"], "title": json.loads(r["title"]), "text": json.loads(r["body"]),
                 "active": r["active"]} for r in rows]

    async def put_prepared_answer(self, answer: dict, by: str, at: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO prepared_answers (code, topic, title, body, active, changed_by, changed_at)
               VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7)
               ON CONFLICT (code) DO UPDATE SET topic = EXCLUDED.topic, title = EXCLUDED.title, body = EXCLUDED.body,
                   active = EXCLUDED.active, changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at""",
            answer["code"], answer["topic"], json.dumps(answer["title"], ensure_ascii=False),
            json.dumps(answer["text"], ensure_ascii=False), answer["active"], by, at)

    async def registered_between(self, start: datetime, end: datetime, categories: Sequence[str], *,
                                 before: tuple[datetime, str] | None, limit: int) -> list[Appeal]:
        """Newest first; ``before`` (registered_at, number) continues after the previous page."""
        rows = await self._conn.fetch(
            f"""SELECT {', '.join(_COLUMNS)} FROM appeals
                WHERE registered_at BETWEEN $1 AND $2 AND (cardinality($3::text[]) = 0 OR category = ANY($3))
                  AND ($4::timestamptz IS NULL OR (registered_at, registration_number) < ($4, $5::text))
                ORDER BY registered_at DESC, registration_number DESC LIMIT $6""",
            start, end, list(categories), before[0] if before else None, before[1] if before else None, limit)
        return [_appeal(r) for r in rows]

    async def timelines(self, appeal_ids: Sequence[UUID]) -> dict[UUID, list[TimelineEntry]]:
        rows = await self._conn.fetch(
            """SELECT appeal_id, event_id, event_type, occurred_at, details FROM appeal_timeline
               WHERE appeal_id = ANY($1::uuid[]) ORDER BY occurred_at, event_id""", list(appeal_ids))
        out: dict[UUID, list[TimelineEntry]] = {}
        for r in rows:
            out.setdefault(r["appeal_id"], []).append(
                TimelineEntry(str(r["event_id"]), r["event_type"], r["occurred_at"], json.loads(r["details"])))
        return out

    async def earlier_marks(self, wanted: Sequence[Marks], since: datetime) -> list[Earlier]:
        """For each key of each of ``wanted``, the most recent appeal since ``since`` with that
        key, category and place: a bounded read however many appeals one citizen wrote."""
        probes = [(kind, key, m.category, m.place) for m in wanted if m.place is not None for kind, key in m.keys]
        if not probes:
            return []
        rows = await self._conn.fetch(
            """SELECT DISTINCT e.appeal_id, a.registration_number, e.registered_at, p.category, p.place, p.kind, p.key
               FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS p(kind, key, category, place)
               CROSS JOIN LATERAL (
                   SELECT c.appeal_id, c.registered_at FROM citizen_marks c
                   WHERE c.kind = p.kind AND c.key_hash = p.key AND c.category = p.category AND c.place = p.place
                     AND c.registered_at >= $5
                   ORDER BY c.registered_at DESC LIMIT 1) e
               JOIN appeals a ON a.appeal_id = e.appeal_id""",
            [p[0] for p in probes], [p[1] for p in probes], [p[2] for p in probes], [p[3] for p in probes], since)
        found: dict[UUID, Earlier] = {}
        for r in rows:
            keys = {(r["kind"], r["key"])} | (set(found[r["appeal_id"]].keys) if r["appeal_id"] in found else set())
            found[r["appeal_id"]] = Earlier(r["appeal_id"], r["registration_number"], r["registered_at"],
                                            frozenset(keys), r["category"], r["place"])
        return list(found.values())

    async def add_marks(self, rows: Sequence[tuple[UUID, Marks, datetime]]) -> None:
        flat = [(appeal_id, kind, key, m.category, m.place, at) for appeal_id, m, at in rows for kind, key in m.keys]
        await self._conn.execute(  # one statement for the batch
            """INSERT INTO citizen_marks (appeal_id, kind, key_hash, category, place, registered_at)
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
               ON CONFLICT DO NOTHING""", *(list(column) for column in zip(*flat, strict=True)))

    async def add_re_appeals(self, links: Sequence[ReAppeal], at: datetime) -> None:
        await self._conn.executemany(
            """INSERT INTO re_appeals (appeal_id, earlier_appeal_id, matched_by, linked_at)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
            [(r.appeal_id, r.earlier.appeal_id, r.matched_by, at) for r in links])

    async def duplicate_candidates(self, probes: Sequence[DuplicateProbe], since: datetime) -> list[Candidate]:
        """For each probe, the earliest open appeals of its category since ``since`` inside its
        box (or, without a point, at its address): a bounded read, as the surge of one
        address must not make every registration read all the others."""
        if not probes:
            return []
        near = [p for p in probes if p.south is not None]
        rows = await self._conn.fetch(
            f"""SELECT DISTINCT c.* FROM unnest($1::text[], $2::float8[], $3::float8[], $4::float8[], $5::float8[])
                   AS p(category, south, north, west, east)
               CROSS JOIN LATERAL (
                   SELECT {_CANDIDATE} FROM appeals a
                   WHERE a.category = p.category AND a.lat BETWEEN p.south AND p.north
                     AND a.long BETWEEN p.west AND p.east AND a.registered_at >= $6 AND {_OPEN}
                   ORDER BY a.registered_at, a.registration_number LIMIT 5) c""",
            [p.category for p in near], [p.south for p in near], [p.north for p in near], [p.west for p in near],
            [p.east for p in near], since) if near else []
        by_address = [p for p in probes if p.address is not None]
        rows += await self._conn.fetch(
            f"""SELECT DISTINCT c.* FROM unnest($1::text[], $2::text[], $3::bool[]) AS p(category, address, has_point)
               CROSS JOIN LATERAL (
                   SELECT {_CANDIDATE} FROM appeals a
                   WHERE a.category = p.category AND a.address IS NOT NULL
                     AND lower(regexp_replace(a.address, '\\s+', ' ', 'g')) = p.address
                     AND (NOT p.has_point OR a.lat IS NULL) AND a.registered_at >= $4 AND {_OPEN}
                   ORDER BY a.registered_at, a.registration_number LIMIT 5) c""",
            [p.category for p in by_address], [p.address for p in by_address],
            [p.south is not None for p in by_address], since) if by_address else []
        return [Candidate(r["appeal_id"], r["registration_number"], r["registered_at"], r["category"],
                          Location(r["lat"], r["long"]) if r["lat"] is not None else None, r["address"], True)
                for r in rows]

    async def add_duplicate_links(self, links: Sequence[DuplicateLink], at: datetime) -> None:
        await self._conn.executemany(
            """INSERT INTO duplicate_links (appeal_id, original_appeal_id, matched_by, distance_m, linked_at)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
            [(d.appeal_id, d.original.appeal_id, d.matched_by, d.distance_m, at) for d in links])

    async def add_verdict(self, appeal_id: UUID, answer_id: UUID, resolved: bool, rating: int | None, via: str,
                          at: datetime) -> str | None:
        """Record a verdict; ``None`` when new, else the ``via`` of the one already there."""
        inserted = await self._conn.fetchval(
            """INSERT INTO verdicts (appeal_id, answer_id, resolved, rating, via, given_at)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
            appeal_id, answer_id, resolved, rating, via, at)
        if inserted:
            return None
        return await self._conn.fetchval("SELECT via FROM verdicts WHERE appeal_id = $1 AND answer_id = $2",
                                         appeal_id, answer_id)

    async def add_attachment(self, stored: Stored, storage_key: str, at: datetime) -> None:
        r = stored.ref
        await self._conn.execute(
            """INSERT INTO attachments (attachment_id, content_type, size, sha256, storage_key, uploaded_by,
                   uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            r.attachment_id, r.content_type, r.size, r.sha256, storage_key, stored.uploaded_by, at)

    async def attachments(self, ids: Sequence[UUID]) -> dict[UUID, Stored]:
        rows = await self._conn.fetch("SELECT * FROM attachments WHERE attachment_id = ANY($1::uuid[]) AND NOT expiring",
                                      list(ids))
        return {r["attachment_id"]: _stored(r) for r in rows}

    async def uploads_since(self, uploaded_by: str, since: datetime) -> int:
        return await self._conn.fetchval(
            "SELECT count(*) FROM attachments WHERE uploaded_by = $1 AND uploaded_at >= $2", uploaded_by, since)

    async def expire_orphans(self, uploaded_before: datetime, limit: int) -> list[str]:
        await self._conn.execute(
            """WITH due AS (SELECT attachment_id FROM attachments
                            WHERE appeal_id IS NULL AND NOT expiring AND uploaded_at < $1
                            ORDER BY uploaded_at LIMIT $2 FOR UPDATE SKIP LOCKED)
               UPDATE attachments a SET expiring = true FROM due WHERE a.attachment_id = due.attachment_id""",
            uploaded_before, limit)
        return [r["storage_key"] for r in await self._conn.fetch(
            "SELECT storage_key FROM attachments WHERE expiring ORDER BY uploaded_at LIMIT $1", limit)]

    async def forget_attachments(self, storage_keys: Sequence[str]) -> None:
        await self._conn.execute("DELETE FROM attachments WHERE expiring AND storage_key = ANY($1::text[])",
                                 list(storage_keys))

    async def link_attachments(self, links: Sequence[tuple[UUID, UUID]]) -> None:
        """(appeal id, attachment id): the file now belongs to the appeal (only a free one)."""
        if links:
            await self._conn.execute(
                """UPDATE attachments a SET appeal_id = l.appeal_id
                   FROM unnest($1::uuid[], $2::uuid[]) AS l(appeal_id, attachment_id)
                   WHERE a.attachment_id = l.attachment_id AND a.appeal_id IS NULL AND NOT a.expiring""",
                [a for a, _ in links], [i for _, i in links])

    async def link_uploads(self, links: Sequence[tuple[UUID, UUID, str]]) -> None:
        """(appeal id, attachment id, uploader): a free file of that uploader now belongs to the appeal."""
        await self._conn.execute(
            """UPDATE attachments a SET appeal_id = l.appeal_id
               FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS l(appeal_id, attachment_id, uploaded_by)
               WHERE a.attachment_id = l.attachment_id AND a.uploaded_by = l.uploaded_by
                 AND a.appeal_id IS NULL AND NOT a.expiring""",
            [x[0] for x in links], [x[1] for x in links], [x[2] for x in links])

    async def attachment_key(self, attachment_id: UUID) -> tuple[Stored, str] | None:
        row = await self._conn.fetchrow("SELECT * FROM attachments WHERE attachment_id = $1 AND NOT expiring", attachment_id)
        return (_stored(row), row["storage_key"]) if row else None

    async def timeline(self, appeal_id: UUID) -> list[TimelineEntry]:
        rows = await self._conn.fetch(
            """SELECT event_id, event_type, occurred_at, details FROM appeal_timeline
               WHERE appeal_id = $1 ORDER BY occurred_at, event_id""", appeal_id)
        return [TimelineEntry(str(r["event_id"]), r["event_type"], r["occurred_at"], json.loads(r["details"]))
                for r in rows]


def _stored(r: asyncpg.Record) -> Stored:
    return Stored(AttachmentRef(r["attachment_id"], r["content_type"], r["size"], r["sha256"]), r["appeal_id"],
                  r["uploaded_by"])


def _row(a: Appeal) -> tuple:
    s = a.submission
    return (a.appeal_id, a.registration_number, s.channel, s.social_network, s.channel_message_id, s.kind,
            s.category, s.district, s.address, s.text, s.language, s.anonymous, s.reports_crime_or_threat,
            json.dumps(asdict(s.citizen)) if s.citizen else None, s.submitted_at, a.registered_at,
            s.correlation_id, s.author_subject, s.location.lat if s.location else None,
            s.location.long if s.location else None,
            json.dumps({k: v if isinstance(v, str) else list(v) for k, v in s.attributes.items()}), s.submitted_by,
            s.operator, s.operator_name, json.dumps(asdict(s.consultation)) if s.consultation else None,
            s.re_appeal_of)


def _appeal(r: asyncpg.Record) -> Appeal:
    citizen = Contact(**json.loads(r["citizen"])) if r["citizen"] else None
    submission = SubmitAppeal(
        channel=r["channel"], channel_message_id=r["channel_message_id"], kind=r["kind"], category=r["category"],
        text=r["text"], language=r["language"], social_network=r["social_network"], district=r["district"],
        address=r["address"], anonymous=r["anonymous"], reports_crime_or_threat=r["reports_crime_or_threat"],
        citizen=citizen, submitted_at=r["submitted_at"], correlation_id=r["correlation_id"],
        author_subject=r["author_subject"], submitted_by=r["submitted_by"], operator=r["operator"],
        operator_name=r["operator_name"], re_appeal_of=r["re_appeal_of"],
        consultation=Consultation(**json.loads(r["consultation"])) if r["consultation"] else None,
        location=Location(r["lat"], r["long"]) if r["lat"] is not None else None,
        attributes={k: v if isinstance(v, str) else tuple(v) for k, v in json.loads(r["attributes"]).items()},
    )
    return Appeal(r["appeal_id"], r["registration_number"], r["registered_at"], submission)
