"""The outbox relay: one active publisher per service, woken by LISTEN/NOTIFY.

Ordering per key (appeal) is kept by three rules:

* rows are read as *all* unpublished rows in id order, never ``id > last_seen``, so a row
  whose transaction commits late is still published (after the rows before it);
* within a round, at most one record per key is in flight: the round is cut into waves,
  wave *n* holding the *n*-th row of each key, and a wave starts only after the previous
  one was acknowledged;
* when a record fails, the rest of that key's rows wait for the next round, so nothing
  of that appeal overtakes the failed record.

Several replicas run a relay each; a session-level advisory lock lets one publish while
the others stand by, taking over if its connection goes away.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter, defaultdict
from collections.abc import Mapping

import asyncpg
import orjson
from aiokafka.errors import KafkaError
from opentelemetry import trace

from appeals_runtime import metrics
from appeals_runtime.errors import is_transient
from appeals_runtime.outbox import NOTIFY_CHANNEL
from appeals_runtime.publisher import Publisher, Record
from appeals_runtime.retry import RetryPolicy
from appeals_runtime.telemetry import headers_of_span, start_span

log = logging.getLogger(__name__)

_LEADER_LOCK_KEY = 7_146_330_002


class OutboxRelay:
    """Publishes the outbox of one service database."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        publisher: Publisher,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        retention_s: float = 3600.0,
    ) -> None:
        self._pool = pool
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._retention_s = retention_s
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.is_leader = False
        self.standing_by = False  # tried for leadership and found another relay active
        self.published_total = 0
        self.failed_total = 0

    async def run(self) -> None:
        """Stand by for leadership, then publish until :meth:`stop`; a lost database
        connection is retried for as long as the service runs."""
        policy = RetryPolicy(attempts=None, initial_s=self._poll_interval_s, max_s=max(self._poll_interval_s, 5.0),
                             when=_lost_database)
        while not self._stopping.is_set():
            async for attempt in policy.retrying("outbox relay lost its database connection",
                                                 on_retry=self._lost_leadership, sleep=self._sleep):
                with attempt:
                    await self._lead()

    def _lost_leadership(self, _: BaseException) -> None:
        self.is_leader = False

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def _lead(self) -> None:
        conn: asyncpg.Connection = await self._pool.acquire()
        try:
            standing_by = False
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LEADER_LOCK_KEY):
                if not standing_by:
                    holder = await conn.fetchrow(
                        """SELECT a.pid, a.state, a.backend_start, a.client_addr FROM pg_locks l
                           JOIN pg_stat_activity a ON a.pid = l.pid
                           WHERE l.locktype = 'advisory' AND l.granted
                             AND ((l.classid::bigint << 32) | l.objid::bigint) = $1""", _LEADER_LOCK_KEY)
                    log.info("outbox relay stands by: the active publisher is backend %s",
                             dict(holder) if holder else "unknown")
                    standing_by = self.standing_by = True
                if await self._sleep(self._poll_interval_s):
                    return
            self.is_leader, self.standing_by = True, False
            log.info("outbox relay is the active publisher")
            await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
            try:
                rounds = 0
                while not self._stopping.is_set() and not conn.is_closed():
                    self._wake.clear()
                    published, blocked = await self.publish_round()
                    rounds += 1
                    if rounds % 100 == 0:
                        await self._purge_published()
                    if blocked:
                        await self._sleep(self._poll_interval_s)
                    elif published == 0:
                        await self._wait_for_work()
            finally:
                self.is_leader = False
                if not conn.is_closed():
                    await conn.remove_listener(NOTIFY_CHANNEL, self._on_notify)
                    await conn.execute("SELECT pg_advisory_unlock($1)", _LEADER_LOCK_KEY)
        finally:
            await self._pool.release(conn)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _wait_for_work(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval_s)
        except TimeoutError:
            pass

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopped; True when stopping."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def publish_round(self) -> tuple[int, bool]:
        """Publish up to one batch; return (rows published, whether a failure held rows back)."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT id, topic, key, headers, value, traceparent, tracestate
                   FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1""",
                self._batch_size,
            )
        if not rows:
            return 0, False
        published: list[int] = []
        failed_keys: set[str] = set()
        for wave in _waves(rows):
            wave = [r for r in wave if r["key"] not in failed_keys]
            if not wave:
                continue
            results = await self._publish(wave)
            for row, error in zip(wave, results, strict=True):
                if error is None:
                    published.append(row["id"])
                else:
                    failed_keys.add(row["key"])
                    self.failed_total += 1
                    metrics.RELAY_ERRORS.labels(row["topic"]).inc()
                    log.warning("outbox publish failed for row %s on %s: %s; its key waits",
                                row["id"], row["topic"], type(error).__name__)
        published_ids = set(published)
        if published:
            async with self._pool.acquire() as conn:
                await conn.execute(
                    "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", published
                )
            self.published_total += len(published)
            for topic, count in Counter(row["topic"] for row in rows if row["id"] in published_ids).items():
                metrics.RELAY_PUBLISHED.labels(topic).inc(count)
        return len(published), bool(failed_keys)

    async def _publish(self, rows: list[asyncpg.Record]) -> list[BaseException | None]:
        spans, records = [], []
        for row in rows:
            stored = {k: v for k in ("traceparent", "tracestate") if (v := row[k])}
            span = start_span(
                f"{row['topic']} publish",
                stored,
                kind=trace.SpanKind.PRODUCER,
                attributes=functools.partial(_kafka_attributes, row["topic"]),
            )
            headers = dict(_json(row["headers"]))
            headers.update(headers_of_span(span))
            spans.append(span)
            records.append(Record(row["topic"], row["key"].encode(), bytes(row["value"]),
                                  [(k, v.encode()) for k, v in headers.items()]))
        results = await self._publisher.send_all(records)
        for span, error in zip(spans, results, strict=True):
            if error is not None:
                span.record_exception(error)
                span.set_status(trace.Status(trace.StatusCode.ERROR))
            span.end()
        return results

    async def flush(self, timeout_s: float = 10.0) -> int:
        """Publish whatever is pending (graceful shutdown), if no other replica is the
        active publisher; return the rows still unpublished."""
        async with self._pool.acquire() as conn:
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LEADER_LOCK_KEY):
                try:
                    deadline = asyncio.get_running_loop().time() + timeout_s
                    while asyncio.get_running_loop().time() < deadline:
                        published, blocked = await self.publish_round()
                        if published == 0 and not blocked:
                            break
                        if blocked:
                            await asyncio.sleep(0.2)
                finally:
                    await conn.execute("SELECT pg_advisory_unlock($1)", _LEADER_LOCK_KEY)
            return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))

    async def backlog(self) -> int:
        """Rows not yet published (a metric for operators)."""
        async with self._pool.acquire() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))

    async def _purge_published(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(
                """DELETE FROM outbox WHERE id IN (
                       SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1)
                       LIMIT 10000)""",
                self._retention_s,
            )


def _lost_database(exc: BaseException) -> bool:
    """A fault that passes (the connection lost, the server restarting, a lock conflict): the
    relay retries it itself. Anything else (a missing table, a bug) ends the task, so the
    supervisor logs it, restarts it with backoff and the service reports not ready."""
    return is_transient(exc) and not isinstance(exc, KafkaError)


def _waves(rows: list[asyncpg.Record]) -> list[list[asyncpg.Record]]:
    """Cut rows (in id order) into waves holding at most one row per key, order kept."""
    waves: list[list[asyncpg.Record]] = []
    depth: dict[str, int] = defaultdict(int)
    for row in rows:
        n = depth[row["key"]]
        depth[row["key"]] = n + 1
        if n == len(waves):
            waves.append([])
        waves[n].append(row)
    return waves


def _kafka_attributes(topic: str) -> dict[str, str]:
    return {"messaging.system": "kafka", "messaging.destination.name": topic}


def _json(value: object) -> dict[str, str]:
    """A row's headers: JSON text, or the mapping asyncpg decoded."""
    if isinstance(value, str):
        return dict(orjson.loads(value))
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"headers of type {type(value).__name__}")
