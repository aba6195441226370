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
from appeals_notification.domain.ledger import Attempt, LedgerRow, NoticeRow, Written
from appeals_notification.domain.messages import AppealFacts

_FACT_COLUMNS = [f.name for f in fields(AppealFacts)]
_FACTS = ", ".join(_FACT_COLUMNS)
_FACT_TYPES = {"appeal_id": "uuid", "registered": "boolean", "due_at": "timestamptz"}


_LEDGER_COLUMNS = ", ".join(f.name for f in fields(LedgerRow))

# The first key of the recipients' queue locks (the second is the recipient's hash): the
# two-key advisory locks are a space of their own, apart from the one-key locks of the
# migrations and the relay.
_QUEUE_LOCKS = 1_937_007_973


async def _lock_queues(conn: asyncpg.Connection, recipients: Sequence[str | None]) -> list[str]:
    """Hold these recipients' queue locks to the end of the transaction, taken in one order
    (two transactions never wait for each other in a circle); returns the recipients."""
    named = sorted({r for r in recipients if r is not None})
    if named:
        await conn.execute(
            """SELECT pg_advisory_xact_lock($2, k)
               FROM (SELECT DISTINCT hashtext(r) AS k FROM unnest($1::text[]) AS r) keys ORDER BY k""",
            named, _QUEUE_LOCKS)
    return named


def _ledger(row: asyncpg.Record) -> LedgerRow:
    values = dict(row)
    values["facts"] = json.loads(values["facts"])
    return LedgerRow(**values)


class PostgresAppealFacts:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def lock_many(self, appeal_ids: Sequence[UUID]) -> dict[UUID, AppealFacts]:
        """The appeals' facts, their rows created when unknown and locked, in one statement; in
        ``appeal_ids``' order (the caller sorts them), so two replicas never deadlock."""
        rows = await self._conn.fetch(
            f"""INSERT INTO appeals (appeal_id) SELECT id FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n) ORDER BY n
                ON CONFLICT (appeal_id) DO UPDATE SET appeal_id = EXCLUDED.appeal_id RETURNING {_FACTS}""",
            list(appeal_ids))
        return {r["appeal_id"]: AppealFacts(**dict(r)) for r in rows}

    async def save_many(self, facts: Sequence[AppealFacts]) -> None:
        """Write the appeals' facts back (rows this transaction locked), in one statement."""
        if not facts:
            return
        names = [n for n in _FACT_COLUMNS if n != "appeal_id"]
        arrays = ", ".join(f"${i + 1}::{_FACT_TYPES.get(n, 'text')}[]" for i, n in enumerate(_FACT_COLUMNS))
        await self._conn.execute(
            f"""UPDATE appeals a SET {', '.join(f'{n} = u.{n}' for n in names)}
                FROM unnest({arrays}) AS u({_FACTS}) WHERE a.appeal_id = u.appeal_id""",
            *([getattr(f, n) for f in facts] for n in _FACT_COLUMNS))


class PostgresLedger:
    def __init__(self, conn: asyncpg.Connection, after_commit: Callable[[Callable[[], None]], None] = lambda _: None) -> None:
        self._conn = conn
        self._after_commit = after_commit  # counts attempts once their transaction commits

    async def waiting_many(self, appeal_ids: Sequence[UUID]) -> dict[UUID, list[LedgerRow]]:
        """The appeals' waiting notices, each appeal's in the order they were added (the
        appeals' rows, locked by the caller, keep other writers of these notices out)."""
        rows = await self._conn.fetch(
            f"""SELECT {_LEDGER_COLUMNS} FROM deliveries WHERE appeal_id = ANY($1::uuid[]) AND status = 'waiting'
                ORDER BY seq""", list(appeal_ids))
        waiting: dict[UUID, list[LedgerRow]] = {}
        for r in rows:
            waiting.setdefault(r["appeal_id"], []).append(_ledger(r))
        return waiting

    async def record_writing(self, new: Sequence[NoticeRow], written: Sequence[Written],
                             skipped: Sequence[tuple[UUID, str]], at: datetime) -> None:
        """New notices go in with their outcome (waiting, pending or skipped) in one statement;
        notices that were waiting are updated in one more each for written and skipped. Each
        written notice takes its place in its recipient's queue in the order written, and heads
        the queue when no open notice of its recipient comes before it."""
        queue_seq: dict[UUID, int] = {}
        if written:
            # Under the recipients' locks, places in a queue follow the order of commits.
            await _lock_queues(self._conn, [w.route.recipient for w in written])
            seqs = sorted(r[0] for r in await self._conn.fetch(
                "SELECT nextval('deliveries_queue_seq') FROM generate_series(1, $1)", len(written)))
            queue_seq = {w.notification_id: seq for w, seq in zip(written, seqs, strict=True)}
        by_id = {w.notification_id: w for w in written}
        reasons = dict(skipped)
        if new:
            def column(get):
                return [get(n, by_id.get(n.notification_id)) for n in new]

            await self._conn.execute(
                """INSERT INTO deliveries (notification_id, source_event_id, source_type, appeal_id, audience, template,
                                           urgent, facts, status, recipient, delivery_channel, address, language,
                                           subject, body, next_attempt_at, queue_seq, last_error, finished_at)
                   SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[],
                                        $7::boolean[], $8::jsonb[], $9::text[], $10::text[], $11::text[], $12::text[],
                                        $13::text[], $14::text[], $15::text[], $16::timestamptz[], $17::bigint[],
                                        $18::text[], $19::timestamptz[])
                   ON CONFLICT (source_event_id, audience, template) DO NOTHING""",
                column(lambda n, w: n.notification_id), column(lambda n, w: n.source_event_id),
                column(lambda n, w: n.source_type), column(lambda n, w: n.appeal_id), column(lambda n, w: n.audience),
                column(lambda n, w: n.template), column(lambda n, w: n.urgent),
                column(lambda n, w: json.dumps(n.facts, default=str)),
                column(lambda n, w: "pending" if w else "skipped" if n.notification_id in reasons else "waiting"),
                column(lambda n, w: w.route.recipient if w else None),
                column(lambda n, w: w.route.delivery_channel if w else None),
                column(lambda n, w: w.route.address if w else None), column(lambda n, w: w.route.language if w else None),
                column(lambda n, w: w.subject if w else None), column(lambda n, w: w.body if w else None),
                column(lambda n, w: w.send_at if w else None), column(lambda n, w: queue_seq.get(n.notification_id)),
                column(lambda n, w: reasons.get(n.notification_id)),
                column(lambda n, w: at if n.notification_id in reasons else None))
        added = {n.notification_id for n in new}
        earlier = [w for w in written if w.notification_id not in added]
        if earlier:
            await self._conn.execute(
                """UPDATE deliveries d SET status = 'pending', recipient = u.recipient, delivery_channel = u.channel,
                          address = u.address, language = u.language, subject = u.subject, body = u.body,
                          next_attempt_at = u.send_at, queue_seq = u.queue_seq
                   FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                               $8::timestamptz[], $9::bigint[])
                        AS u(notification_id, recipient, channel, address, language, subject, body, send_at, queue_seq)
                   WHERE d.notification_id = u.notification_id""",
                [w.notification_id for w in earlier], [w.route.recipient for w in earlier],
                [w.route.delivery_channel for w in earlier], [w.route.address for w in earlier],
                [w.route.language for w in earlier], [w.subject for w in earlier], [w.body for w in earlier],
                [w.send_at for w in earlier], [queue_seq[w.notification_id] for w in earlier])
        gone = [(i, reason) for i, reason in skipped if i not in added]
        if gone:
            await self._conn.execute(
                """UPDATE deliveries d SET status = 'skipped', last_error = u.reason, finished_at = $3
                   FROM unnest($1::uuid[], $2::text[]) AS u(notification_id, reason)
                   WHERE d.notification_id = u.notification_id""",
                [i for i, _ in gone], [r for _, r in gone], at)
        if written:
            await self._conn.execute(
                """UPDATE deliveries d SET head = true
                   WHERE d.notification_id = ANY($1::uuid[]) AND d.status = 'pending'
                     AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.recipient = d.recipient
                                     AND e.status IN ('pending', 'sending') AND e.queue_seq < d.queue_seq)""",
                list(queue_seq))

    async def claim_due(self, channel: str, now: datetime, limit: int) -> list[LedgerRow]:
        """Pending rows of ``channel`` that are due and head their recipient's queue, locked;
        heads another worker holds are skipped (the rows behind a head are never read)."""
        rows = await self._conn.fetch(
            f"""SELECT {_LEDGER_COLUMNS} FROM deliveries
                WHERE status = 'pending' AND head AND delivery_channel = $1 AND next_attempt_at <= $2
                ORDER BY next_attempt_at, queue_seq LIMIT $3 FOR UPDATE SKIP LOCKED""", channel, now, limit)
        return [_ledger(r) for r in rows]

    async def queued_behind(self, head: LedgerRow, limit: int) -> list[LedgerRow]:
        """Pending rows queued for the head's recipient behind it, in queue order, locked (no
        other worker holds them: the queue's head, ours, keeps them from being claimed). Read
        in the recipient index's order and no further than ``limit``: written as a join, the
        planner sorted every row behind the head (131,599 in a 395,000-appeal surge, 0.5 s a
        digest)."""
        rows = await self._conn.fetch(
            f"""SELECT {_LEDGER_COLUMNS} FROM deliveries
                WHERE recipient = $2 AND status = 'pending'
                  AND queue_seq > (SELECT queue_seq FROM deliveries WHERE notification_id = $1)
                ORDER BY queue_seq LIMIT $3 FOR UPDATE""", head.notification_id, head.recipient, limit)
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
        """Record attempts (a few statements for the whole batch); returns the rows that changed.
        A final outcome is never overwritten: a late record of a row another worker already
        resolved changes nothing (but a known outcome does replace "in doubt"). Where a queue's
        first open row is now pending and not marked (its head closed, or a digest's row came
        back for a retry), it becomes the head."""
        if not attempts:
            return set()
        changed = await self._conn.fetch(
            """UPDATE deliveries d SET attempts = a.attempt, status = a.status, last_error = a.error,
                      next_attempt_at = a.next_attempt_at, sending_since = NULL,
                      finished_at = CASE WHEN a.status = 'pending' THEN NULL ELSE $6::timestamptz END
               FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::timestamptz[])
                    AS a(notification_id, attempt, status, error, next_attempt_at)
               WHERE d.notification_id = a.notification_id AND d.status NOT IN ('delivered', 'failed', 'skipped')
               RETURNING d.notification_id, d.delivery_channel, d.recipient""",
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
        await self._next_heads([r["recipient"] for r in changed])
        return set(channels)

    async def _next_heads(self, recipients: Sequence[str | None]) -> None:
        """Mark each recipient's first open row the head when it is pending and not yet marked."""
        locked = await _lock_queues(self._conn, recipients)
        if locked:
            await self._conn.execute(
                """UPDATE deliveries d SET head = true
                   FROM unnest($1::text[]) AS q(recipient)
                        CROSS JOIN LATERAL (SELECT e.notification_id FROM deliveries e
                                            WHERE e.recipient = q.recipient AND e.status IN ('pending', 'sending')
                                            ORDER BY e.queue_seq LIMIT 1) first_open
                   WHERE d.notification_id = first_open.notification_id AND d.status = 'pending' AND NOT d.head""",
                locked)

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
