"""The ledger's recipient queues on real PostgreSQL: the mark on each queue's head, kept by the
writer and by the recording of outcomes, makes the workers' claim read heads only. Checked
against the claim it replaced (every due row, less the ones queued behind an open row), after
every step of random histories, and under writers and workers running at once."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appeals_notification import handlers
from appeals_notification.adapters.repository import PostgresLedger
from appeals_notification.domain.digest import DigestPolicy
from appeals_notification.domain.ledger import Attempt, NoticeRow, Written
from appeals_notification.domain.messages import Route
from appeals_runtime.migrations import discover, migrate
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
RECIPIENTS = ("executor:E1", "executor:E2", "citizen:1", "citizen:2")
CHANNELS = ("email", "sms")

# The claim before the heads were marked: the oracle.
EVERY_DUE_HEAD = """
    SELECT notification_id FROM deliveries d
    WHERE d.status = 'pending' AND d.delivery_channel = $1 AND d.next_attempt_at <= $2
      AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.recipient = d.recipient
                      AND e.status IN ('pending', 'sending') AND e.queue_seq < d.queue_seq)
    ORDER BY d.next_attempt_at, d.queue_seq LIMIT $3"""

# Pending rows marked head, against pending rows that are their queue's first open row.
MARKED_WRONG = """
    SELECT notification_id, recipient, head FROM deliveries d
    WHERE d.status = 'pending' AND d.head IS DISTINCT FROM NOT EXISTS (
        SELECT 1 FROM deliveries e WHERE e.recipient = d.recipient
        AND e.status IN ('pending', 'sending') AND e.queue_seq < d.queue_seq)"""


def notice(recipient: str, channel: str, *, digestible: bool = False, send_at: datetime = NOW,
           appeal: uuid.UUID | None = None) -> tuple[NoticeRow, Written]:
    notification_id = uuid.uuid4()
    audience = "executor" if recipient.startswith("executor") and digestible else "citizen"
    row = NoticeRow(notification_id, uuid.uuid4(), "appeal.assigned", appeal or uuid.uuid4(), audience,
                    "executor.assigned", False, {})
    return row, Written(notification_id, Route(recipient, channel, "someone@example.kz", "ru"), "subject", "body",
                        send_at)


async def write(conn: asyncpg.Connection, notices: list[tuple[NoticeRow, Written]], *, waiting: bool = False) -> None:
    async with conn.transaction():
        await PostgresLedger(conn).record_writing([n for n, _ in notices], [] if waiting else [w for _, w in notices],
                                                  [], NOW)


async def claim(conn: asyncpg.Connection, channel: str, limit: int, digests: DigestPolicy | None = None, *,
                now: datetime = NOW) -> list:
    async with conn.transaction():
        uow = SimpleNamespace(ledger=PostgresLedger(conn))
        return await handlers.claim_for_sending(uow, channel=channel, now=now, quiet_hours=None, limit=limit,
                                                digests=digests)


async def record(conn: asyncpg.Connection, rows: list, outcome: str, *, retry_at: datetime = NOW) -> None:
    async with conn.transaction():
        await PostgresLedger(conn).attempted(
            [Attempt(r.notification_id, r.attempts + 1, outcome, None if outcome == "delivered" else "x",
                     retry_at if outcome == "retry" else None) for r in rows], NOW)


async def assert_heads_marked(conn: asyncpg.Connection) -> None:
    assert [dict(r) for r in await conn.fetch(MARKED_WRONG)] == []
    for channel in CHANNELS:
        for limit in (1, 3, 50):
            expected = [r[0] for r in await conn.fetch(EVERY_DUE_HEAD, channel, NOW, limit)]
            async with conn.transaction():  # a claim only locks: this one is looked at and let go
                claimed = await PostgresLedger(conn).claim_due(channel, NOW, limit)
            assert [r.notification_id for r in claimed] == expected


STEP = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(RECIPIENTS), st.sampled_from(CHANNELS), st.booleans(),
              st.integers(1, 4), st.integers(-60, 0)),
    st.tuples(st.just("wait"), st.sampled_from(RECIPIENTS), st.sampled_from(CHANNELS)),
    st.tuples(st.just("ready")),
    st.tuples(st.just("claim"), st.sampled_from(CHANNELS), st.integers(1, 5), st.booleans()),
    st.tuples(st.just("record"), st.sampled_from(["delivered", "failed", "retry", "retry_later", "in_doubt"]),
              st.integers(0, 3), st.booleans()),
)


# One database for all examples (emptied before each): the fixture is not per example on purpose.
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(STEP, max_size=25))
async def test_the_heads_marked_are_the_queues_first_open_rows_after_every_step(ledger_database, steps):
    conn = await asyncpg.connect(ledger_database)
    try:
        await conn.execute("TRUNCATE delivery_attempts, deliveries")
        waiting: list[tuple[NoticeRow, Written]] = []
        in_flight: list[list] = []
        for step in steps:
            match step:
                case ("write", recipient, channel, digestible, n, offset):
                    await write(conn, [notice(recipient, channel, digestible=digestible,
                                              send_at=NOW + timedelta(seconds=offset + i)) for i in range(n)])
                case ("wait", recipient, channel):
                    waiting.append(notice(recipient, channel))
                    await write(conn, waiting[-1:], waiting=True)
                case ("ready",):
                    async with conn.transaction():
                        await PostgresLedger(conn).record_writing([], [w for _, w in waiting], [], NOW)
                    waiting.clear()
                case ("claim", channel, limit, digest):
                    rows = await claim(conn, channel, limit, DigestPolicy(size=3) if digest else None)
                    if rows:
                        in_flight.append(rows)
                case ("record", outcome, which, split) if in_flight:
                    rows = in_flight.pop(which % len(in_flight))
                    # A split record: a stopped worker's rows resolved in two rounds (the head first).
                    parts = [rows[:1], rows[1:]] if split else [rows]
                    for part in parts:
                        if outcome == "retry_later":
                            await record(conn, part, "retry", retry_at=NOW + timedelta(minutes=5))
                        else:
                            await record(conn, part, outcome)
            await assert_heads_marked(conn)
    finally:
        await conn.close()


async def test_the_migration_marks_the_heads_of_a_ledger_written_before_it(scratch_database):
    conn = await asyncpg.connect(scratch_database)
    try:
        older = [m for m in discover("notification", "appeals_notification.migrations") if m.version < 5]
        await migrate(conn, older)
        for n, recipient in enumerate(["executor:E1", "executor:E1", "citizen:1", "executor:E1", "citizen:2"]):
            await conn.execute(
                """INSERT INTO deliveries (notification_id, source_event_id, source_type, appeal_id, audience, template,
                                           urgent, facts, status, recipient, delivery_channel, next_attempt_at,
                                           queue_seq)
                   VALUES ($1, $1, 'appeal.assigned', $1, 'executor', 't', false, '{}', $2, $3, 'email', $4, $5)""",
                uuid.uuid4(), "sending" if n == 2 else "pending", recipient, NOW, n)
        await migrate(conn, discover("notification", "appeals_notification.migrations"))
        heads = await conn.fetch("SELECT recipient, queue_seq FROM deliveries WHERE head ORDER BY queue_seq")
        assert [(r["recipient"], r["queue_seq"]) for r in heads] == [("executor:E1", 0), ("citizen:2", 4)]
        await assert_heads_marked(conn)
    finally:
        await conn.close()


async def test_writers_and_workers_at_once_leave_no_queue_without_its_head(ledger_database):
    """Writers add to a few queues while two workers claim (with digests), fail some and
    deliver the rest, each on its own connection: every notice is delivered in the end, each
    queue's in the order written, and no transaction waited for another in a circle."""
    rng = random.Random(15)
    writers = [await asyncpg.connect(ledger_database) for _ in range(3)]
    workers = [await asyncpg.connect(ledger_database) for _ in range(2)]
    written: list[uuid.UUID] = []
    sent: list[uuid.UUID] = []
    writing = True

    async def writer(conn: asyncpg.Connection) -> None:
        for _ in range(40):
            batch = [notice(rng.choice(RECIPIENTS[:3]), "email", digestible=rng.random() < 0.7) for _ in range(3)]
            await write(conn, batch)
            written.extend(n.notification_id for n, _ in batch)
            await asyncio.sleep(0)

    async def worker(conn: asyncpg.Connection) -> None:
        while True:
            rows = await claim(conn, "email", 4, DigestPolicy(size=3))
            if not rows:
                if not writing:
                    return
                await asyncio.sleep(0.01)
                continue
            if rng.random() < 0.3:
                await record(conn, rows, "retry")
            else:
                sent.extend(r.notification_id for r in rows)
                await record(conn, rows, "delivered")

    try:
        working = [asyncio.create_task(worker(c)) for c in workers]
        await asyncio.gather(*(writer(c) for c in writers))
        writing = False
        await asyncio.wait_for(asyncio.gather(*working), timeout=120)
        check = writers[0]
        assert await check.fetchval("SELECT count(*) FROM deliveries WHERE status <> 'delivered'") == 0
        assert sorted(sent) == sorted(written)  # each once
        queue_of = {r["notification_id"]: (r["recipient"], r["queue_seq"])
                    for r in await check.fetch("SELECT notification_id, recipient, queue_seq FROM deliveries")}
        for recipient in RECIPIENTS[:3]:
            seqs = [queue_of[i][1] for i in sent if queue_of[i][0] == recipient]
            assert seqs == sorted(seqs), recipient
    finally:
        for conn in writers + workers:
            await conn.close()


def _resend_statements() -> list[str]:
    """The runbook's statements that put a failed row back in its queue (docs/notifications.md)."""
    text = (Path(__file__).parents[3] / "docs" / "notifications.md").read_text("utf-8")
    block = text.split("## Operating it", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    statements = [s.strip() for s in block.split(";") if s.strip()]
    assert statements[0] == "BEGIN" and statements[-1] == "COMMIT"
    return [s.replace(":'id'", "$1") for s in statements[1:-1]]


async def test_the_runbooks_resend_puts_a_failed_row_at_the_end_of_its_queue(ledger_database):
    conn = await asyncpg.connect(ledger_database)
    try:
        first, second = notice("executor:E1", "email"), notice("executor:E1", "email")
        await write(conn, [first, second])
        await record(conn, await claim(conn, "email", 1), "failed")  # the first fails for good
        failed = first[0].notification_id
        async with conn.transaction():
            for statement in _resend_statements():
                await conn.execute(statement, failed)
        await assert_heads_marked(conn)  # the second still heads the queue; the resent one waits
        claimed = await claim(conn, "email", 5)
        assert [r.notification_id for r in claimed] == [second[0].notification_id]
        await record(conn, claimed, "delivered")
        # then its turn (the runbook makes it due at the database's now)
        assert [r.notification_id for r in await claim(conn, "email", 5, now=Clock().now())] == [failed]
        await assert_heads_marked(conn)
    finally:
        await conn.close()
