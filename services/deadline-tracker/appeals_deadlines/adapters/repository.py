"""The deadline tracker's tables, through asyncpg."""

from __future__ import annotations


from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from appeals_deadlines.domain.model import Deadline, Timer
from appeals_runtime.parking import Parking


_DEADLINE = ("appeal_id, policy_code, regime, registered_at, due_at, extended, status, last_answer_submitted_at, "
             "counted_from, forwarding_due_at, notice_due_at, notice_delivered_at, answer_times")


class PostgresDeadlineRepository:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get_for_update(self, appeal_id: UUID) -> Deadline | None:
        row = await self._conn.fetchrow(
            f"SELECT {_DEADLINE} FROM deadlines WHERE appeal_id = $1 FOR UPDATE", appeal_id)
        return _deadline(row) if row else None

    async def add_all(self, rows: Sequence[Deadline]) -> set[UUID]:
        """Insert in one statement; the appeals that had no deadline yet."""
        inserted = await self._conn.fetch(
            """INSERT INTO deadlines (appeal_id, policy_code, regime, registered_at, due_at, extended, status,
                   counted_from, forwarding_due_at)
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[],
                                    $6::bool[], $7::text[], $8::date[], $9::timestamptz[])
               ON CONFLICT (appeal_id) DO NOTHING RETURNING appeal_id""",
            [r.appeal_id for r in rows], [r.policy_code for r in rows], [r.regime for r in rows],
            [r.registered_at for r in rows], [r.due_at for r in rows], [r.extended for r in rows],
            [r.status for r in rows], [r.counted_from for r in rows], [r.forwarding_due_at for r in rows])
        return {r["appeal_id"] for r in inserted}

    async def update(self, appeal_id: UUID, **fields: object) -> None:
        names = list(fields)
        sets = ", ".join(f"{n} = ${i + 2}" for i, n in enumerate(names))
        await self._conn.execute(f"UPDATE deadlines SET {sets} WHERE appeal_id = $1", appeal_id,
                                 *(fields[n] for n in names))

    async def add_answer_time(self, appeal_id: UUID, answered_at: datetime) -> None:
        await self._conn.execute(
            """UPDATE deadlines SET last_answer_submitted_at = $2, answer_times = array_append(answer_times, $2)
               WHERE appeal_id = $1""", appeal_id, answered_at)

    # Events that came before the registration: parked by the runtime (appeals_runtime.parking).
    async def take_deferred(self, appeal_id: UUID, kind: str) -> list[dict[str, str]]:
        return await Parking(self._conn).take(appeal_id, kind)

    async def defer(self, appeal_id: UUID, kind: str, args: dict[str, str]) -> None:
        await Parking(self._conn).park(appeal_id, kind, args)

    async def take_deferred_all(self, appeal_ids: Sequence[UUID]) -> dict[UUID, list[tuple[str, dict[str, str]]]]:
        return await Parking(self._conn).take_all(appeal_ids)

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
        return {r["appeal_id"]: _deadline(r) for r in rows}


def _deadline(row: asyncpg.Record) -> Deadline:
    return Deadline(**{**dict(row), "answer_times": tuple(row["answer_times"] or ())})
