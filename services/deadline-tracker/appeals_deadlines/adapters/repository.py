"""The deadline tracker's tables, through asyncpg."""

from __future__ import annotations

import json

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from appeals_deadlines.domain.model import Deadline, Timer


_DEADLINE = ("appeal_id, policy_code, regime, registered_at, due_at, extended, status, last_answer_submitted_at, "
             "counted_from, forwarding_due_at, notice_due_at, notice_delivered_at")


class PostgresDeadlineRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get_for_update(self, appeal_id: UUID) -> Deadline | None:
        row = await self._conn.fetchrow(
            f"SELECT {_DEADLINE} FROM deadlines WHERE appeal_id = $1 FOR UPDATE", appeal_id)
        return Deadline(**dict(row)) if row else None

    async def add(self, row: Deadline) -> bool:
        """Insert; False when the appeal already has a deadline (a redelivery)."""
        status = await self._conn.execute(
            """INSERT INTO deadlines (appeal_id, policy_code, regime, registered_at, due_at, extended, status,
                   counted_from, forwarding_due_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (appeal_id) DO NOTHING""",
            row.appeal_id, row.policy_code, row.regime, row.registered_at, row.due_at, row.extended, row.status,
            row.counted_from, row.forwarding_due_at)
        return status.endswith(" 1")

    async def update(self, appeal_id: UUID, **fields: object) -> None:
        names = list(fields)
        sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
        await self._conn.execute(f"UPDATE deadlines SET {sets} WHERE appeal_id = $1", appeal_id,
                                 *(fields[n] for n in names))

    async def defer(self, appeal_id: UUID, kind: str, args: dict[str, str]) -> None:
        await self._conn.execute("INSERT INTO deferred_events (appeal_id, kind, args) VALUES ($1, $2, $3::jsonb)",
                                 appeal_id, kind, json.dumps(args))

    async def take_deferred(self, appeal_id: UUID) -> list[tuple[str, dict[str, str]]]:
        rows = await self._conn.fetch(
            "DELETE FROM deferred_events WHERE appeal_id = $1 RETURNING seq, kind, args", appeal_id)
        return [(r["kind"], json.loads(r["args"])) for r in sorted(rows, key=lambda r: r["seq"])]

    async def add_timers(self, timers: Sequence[Timer]) -> None:
        await self._conn.execute(
            """INSERT INTO timers (appeal_id, kind, due_at, fire_at)
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[])
               ON CONFLICT DO NOTHING""",
            [t.appeal_id for t in timers], [t.kind for t in timers], [t.due_at for t in timers],
            [t.fire_at for t in timers])

    async def cancel_timers(self, appeal_id: UUID) -> None:
        await self._conn.execute("DELETE FROM timers WHERE appeal_id = $1 AND fired_at IS NULL", appeal_id)

    async def claim_due_timers(self, now: datetime, limit: int) -> list[Timer]:
        """Mark up to ``limit`` due timers fired and return them. Rows another replica has
        claimed are skipped (SKIP LOCKED); the caller's transaction makes the firing and
        its events one unit, so a timer fires exactly once."""
        rows = await self._conn.fetch(
            """WITH due AS (
                   SELECT appeal_id, kind, due_at, fire_at FROM timers
                   WHERE fired_at IS NULL AND fire_at <= $1
                   ORDER BY fire_at LIMIT $2 FOR UPDATE SKIP LOCKED)
               UPDATE timers t SET fired_at = $1 FROM due
               WHERE (t.appeal_id, t.kind, t.due_at, t.fire_at) = (due.appeal_id, due.kind, due.due_at, due.fire_at)
               RETURNING t.appeal_id, t.kind, t.due_at, t.fire_at""", now, limit)
        return sorted((Timer(**dict(r)) for r in rows), key=lambda t: t.fire_at)

    async def open_deadlines(self, appeal_ids: Sequence[UUID]) -> dict[UUID, Deadline]:
        rows = await self._conn.fetch(
            f"SELECT {_DEADLINE} FROM deadlines WHERE appeal_id = ANY($1::uuid[]) AND status = 'open'",
            list(appeal_ids))
        return {r["appeal_id"]: Deadline(**dict(r)) for r in rows}
