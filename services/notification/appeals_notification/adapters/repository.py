"""Notification's tables, through asyncpg: the appeals' facts and the delivery ledger."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from appeals_notification.adapters import metrics
from appeals_notification.domain.ledger import Attempt, LedgerRow, NoticeRow
from appeals_notification.domain.messages import AppealFacts, Route

_FACT_COLUMNS = [f.name for f in fields(AppealFacts)]
_FACTS = ", ".join(_FACT_COLUMNS)


_LEDGER_COLUMNS = ", ".join(f.name for f in fields(LedgerRow))


def _ledger(row: asyncpg.Record) -> LedgerRow:
    values = dict(row)
    values["facts"] = json.loads(values["facts"])
    return LedgerRow(**values)


class PostgresAppealFacts:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def get_for_update(self, appeal_id: UUID) -> AppealFacts:
        """The appeal's facts, locked for this transaction (created empty when unknown): one
        statement, as the upsert's update takes the row lock."""
        return await self._one(
            f"""INSERT INTO appeals (appeal_id) VALUES ($1)
                ON CONFLICT (appeal_id) DO UPDATE SET appeal_id = EXCLUDED.appeal_id RETURNING {_FACTS}""", appeal_id)

    # Each change below is one upsert: it creates the appeal's row when unknown, takes its lock
    # and returns the facts as changed (no separate get_for_update before it).
    async def register(self, facts: AppealFacts) -> AppealFacts:
        names = [n for n in _FACT_COLUMNS if n not in ("executor_code", "due_at")]
        values = ", ".join(f"${i + 1}" for i in range(len(names)))
        sets = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n != "appeal_id")
        return await self._one(
            f"""INSERT INTO appeals ({', '.join(names)}) VALUES ({values})
                ON CONFLICT (appeal_id) DO UPDATE SET {sets} RETURNING {_FACTS}""",
            *(getattr(facts, n) for n in names))

    async def set_executor(self, appeal_id: UUID, executor_code: str) -> AppealFacts:
        return await self._one(
            f"""INSERT INTO appeals (appeal_id, executor_code) VALUES ($1, $2)
                ON CONFLICT (appeal_id) DO UPDATE SET executor_code = EXCLUDED.executor_code RETURNING {_FACTS}""",
            appeal_id, executor_code)

    async def move_due(self, appeal_id: UUID, due_at: datetime) -> AppealFacts:
        """Due times only move later (an extension), whatever order the events came in."""
        return await self._one(
            f"""INSERT INTO appeals (appeal_id, due_at) VALUES ($1, $2)
                ON CONFLICT (appeal_id) DO UPDATE SET due_at = GREATEST(appeals.due_at, EXCLUDED.due_at)
                RETURNING {_FACTS}""", appeal_id, due_at)

    async def _one(self, sql: str, *args: Any) -> AppealFacts:
        return AppealFacts(**dict(await self._conn.fetchrow(sql, *args)))


class PostgresLedger:
    def __init__(self, conn: asyncpg.Connection, after_commit: Callable[[Callable[[], None]], None] = lambda _: None) -> None:
        self._conn = conn
        self._after_commit = after_commit  # counts attempts once their transaction commits

    async def add(self, notices: Sequence[NoticeRow]) -> None:
        """Insert waiting rows; a (source event, audience, template) already there is left alone."""
        await self._conn.executemany(
            """INSERT INTO deliveries (notification_id, source_event_id, source_type, appeal_id, audience, template,
                                       urgent, facts, status)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, 'waiting')
               ON CONFLICT (source_event_id, audience, template) DO NOTHING""",
            [(n.notification_id, n.source_event_id, n.source_type, n.appeal_id, n.audience, n.template, n.urgent,
              json.dumps(n.facts, default=str)) for n in notices])

    async def add_and_list_waiting(self, appeal_id: UUID, notices: Sequence[NoticeRow]) -> list[LedgerRow]:
        """:meth:`add`, then :meth:`waiting`, in one statement (the appeal's row lock, which the
        caller holds, keeps other writers of its notices out)."""
        rows = await self._conn.fetch(
            f"""WITH added AS (
                    INSERT INTO deliveries (notification_id, source_event_id, source_type, appeal_id, audience,
                                            template, urgent, facts, status)
                    SELECT n.*, 'waiting' FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[],
                                                      $7::text[], $8::bool[], $9::jsonb[]) AS n
                    ON CONFLICT (source_event_id, audience, template) DO NOTHING
                    RETURNING seq, {_LEDGER_COLUMNS})
                SELECT {_LEDGER_COLUMNS} FROM (
                    SELECT seq, {_LEDGER_COLUMNS} FROM deliveries WHERE appeal_id = $1 AND status = 'waiting'
                    UNION ALL SELECT * FROM added) w ORDER BY seq""",
            appeal_id, [n.notification_id for n in notices], [n.source_event_id for n in notices],
            [n.source_type for n in notices], [n.appeal_id for n in notices], [n.audience for n in notices],
            [n.template for n in notices], [n.urgent for n in notices],
            [json.dumps(n.facts, default=str) for n in notices])
        return [_ledger(r) for r in rows]

    async def waiting(self, appeal_id: UUID) -> list[LedgerRow]:
        rows = await self._conn.fetch(
            f"""SELECT {_LEDGER_COLUMNS} FROM deliveries WHERE appeal_id = $1 AND status = 'waiting'
                ORDER BY seq FOR UPDATE""", appeal_id)
        return [_ledger(r) for r in rows]

    async def written(self, notification_id: UUID, route: Route, subject: str, body: str,
                      send_at: datetime) -> None:
        await self._conn.execute(
            """UPDATE deliveries SET status = 'pending', recipient = $2, delivery_channel = $3, address = $4,
                      language = $5, subject = $6, body = $7, next_attempt_at = $8,
                      queue_seq = nextval('deliveries_queue_seq') WHERE notification_id = $1""",
            notification_id, route.recipient, route.delivery_channel, route.address, route.language, subject, body,
            send_at)

    async def skipped(self, notification_id: UUID, reason: str, at: datetime) -> None:
        await self._conn.execute(
            """UPDATE deliveries SET status = 'skipped', last_error = $2, finished_at = $3
               WHERE notification_id = $1""", notification_id, reason, at)

    async def claim_due(self, channel: str, now: datetime, limit: int) -> list[LedgerRow]:
        """Pending rows of ``channel`` that are due and head their recipient's queue, locked;
        rows another worker holds are skipped, and so are the rows queued behind them."""
        rows = await self._conn.fetch(
            f"""SELECT {_LEDGER_COLUMNS} FROM deliveries d
                WHERE d.status = 'pending' AND d.delivery_channel = $1 AND d.next_attempt_at <= $2
                  AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.recipient = d.recipient
                                  AND e.status IN ('pending', 'sending') AND e.queue_seq < d.queue_seq)
                ORDER BY d.next_attempt_at, d.queue_seq LIMIT $3 FOR UPDATE OF d SKIP LOCKED""", channel, now, limit)
        return [_ledger(r) for r in rows]

    async def queued_behind(self, notification_id: UUID, limit: int) -> list[LedgerRow]:
        """Pending rows queued for the same recipient behind this one, in queue order, locked
        (no other worker holds them: the queue's head, ours, keeps them from being claimed)."""
        rows = await self._conn.fetch(
            f"""SELECT {', '.join('d.' + c.strip() for c in _LEDGER_COLUMNS.split(','))}
                FROM deliveries h JOIN deliveries d ON d.recipient = h.recipient AND d.queue_seq > h.queue_seq
                WHERE h.notification_id = $1 AND d.status = 'pending'
                ORDER BY d.queue_seq LIMIT $2 FOR UPDATE OF d""", notification_id, limit)
        return [_ledger(r) for r in rows]

    async def digested(self, head: UUID, behind: Sequence[UUID]) -> None:
        """``behind`` go in ``head``'s digest: the ledger says which message carried them."""
        await self._conn.execute("UPDATE deliveries SET sent_as = $1 WHERE notification_id = ANY($2::uuid[])",
                                 head, list(behind))

    async def sending(self, notification_ids: Sequence[UUID], at: datetime) -> None:
        """Mark claimed rows as being sent: committed before any provider is called."""
        await self._conn.execute(
            "UPDATE deliveries SET status = 'sending', sending_since = $2 WHERE notification_id = ANY($1::uuid[])",
            list(notification_ids), at)

    async def stale_sending(self, channel: str, before: datetime, limit: int) -> list[LedgerRow]:
        """Rows of ``channel`` marked 'sending' before ``before``: their sender stopped without
        recording an outcome. Locked; rows another worker holds are skipped."""
        rows = await self._conn.fetch(
            f"""SELECT {_LEDGER_COLUMNS} FROM deliveries
                WHERE status = 'sending' AND delivery_channel = $1 AND sending_since < $2
                ORDER BY sending_since LIMIT $3 FOR UPDATE SKIP LOCKED""", channel, before, limit)
        return [_ledger(r) for r in rows]

    async def postpone(self, notification_id: UUID, until: datetime) -> None:
        await self._conn.execute("UPDATE deliveries SET next_attempt_at = $2 WHERE notification_id = $1",
                                 notification_id, until)

    async def attempted(self, attempts: Sequence[Attempt], at: datetime) -> set[UUID]:
        """Record attempts (two statements for the whole batch); returns the rows that changed.
        A final outcome is never overwritten: a late record of a row another worker already
        resolved changes nothing (but a known outcome does replace "in doubt")."""
        if not attempts:
            return set()
        changed = await self._conn.fetch(
            """UPDATE deliveries d SET attempts = a.attempt, status = a.status, last_error = a.error,
                      next_attempt_at = a.next_attempt_at, sending_since = NULL,
                      finished_at = CASE WHEN a.status = 'pending' THEN NULL ELSE $6::timestamptz END
               FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::timestamptz[])
                    AS a(notification_id, attempt, status, error, next_attempt_at)
               WHERE d.notification_id = a.notification_id AND d.status NOT IN ('delivered', 'failed', 'skipped')
               RETURNING d.notification_id, d.delivery_channel""",
            [a.notification_id for a in attempts], [a.attempt for a in attempts],
            ["pending" if a.outcome == "retry" else a.outcome for a in attempts], [a.error for a in attempts],
            [a.next_attempt_at for a in attempts], at)
        channels = {r["notification_id"]: r["delivery_channel"] for r in changed}
        done = [a for a in attempts if a.notification_id in channels]
        for a in done:
            self._after_commit(metrics.ATTEMPTS.labels(metrics.channel_label(channels[a.notification_id]), a.outcome).inc)
        await self._conn.execute(
            """INSERT INTO delivery_attempts (notification_id, attempt, at, outcome, error)
               SELECT a.notification_id, a.attempt, $5, a.outcome, a.error
               FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[]) AS a(notification_id, attempt, outcome, error)
               ON CONFLICT DO NOTHING""",
            [a.notification_id for a in done], [a.attempt for a in done], [a.outcome for a in done],
            [a.error for a in done], at)
        return set(channels)

    async def for_appeal(self, appeal_id: UUID) -> list[dict[str, Any]]:
        """The ledger of one appeal for operators: no addresses, no message bodies."""
        rows = await self._conn.fetch(
            """SELECT d.notification_id, d.source_type, d.audience, d.template, d.status, d.delivery_channel,
                      d.language, d.subject, d.attempts, d.last_error, d.created_at, d.finished_at, d.sent_as,
                      COALESCE(json_agg(json_build_object('attempt', a.attempt, 'at', a.at, 'outcome', a.outcome,
                                                          'error', a.error) ORDER BY a.attempt)
                               FILTER (WHERE a.attempt IS NOT NULL), '[]') AS attempt_log
               FROM deliveries d LEFT JOIN delivery_attempts a USING (notification_id)
               WHERE d.appeal_id = $1 GROUP BY d.notification_id ORDER BY d.seq""", appeal_id)
        return [{**dict(r), "attempt_log": json.loads(r["attempt_log"])} for r in rows]

    async def summary(self) -> list[dict[str, Any]]:
        """Counts per channel and status, and the oldest pending row's age: the backlog at a glance."""
        rows = await self._conn.fetch(
            """SELECT COALESCE(delivery_channel, '-') AS delivery_channel, status, count(*) AS count,
                      EXTRACT(EPOCH FROM now() - min(created_at)) AS oldest_age_s
               FROM deliveries GROUP BY 1, 2 ORDER BY 1, 2""")
        return [dict(r) for r in rows]
