"""The backlog gauges sampled from a real ledger: right counts, and no read of the whole ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import asyncpg
import pytest

from appeals_notification.adapters import metrics

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
#: (status, channel, rows): a ledger mostly delivered, as after a surge.
LEDGER = [("delivered", "sms", 3000), ("delivered", "email", 3000), ("pending", "sms", 40), ("waiting", None, 7),
          ("sending", "sms", 5), ("sending", "email", 2), ("in_doubt", "email", 3)]


async def test_the_sampler_counts_each_state_from_its_index(ledger_database):
    conn = await asyncpg.connect(ledger_database)
    try:
        for status, channel, rows in LEDGER:
            await conn.execute(
                """INSERT INTO deliveries (queue_seq, notification_id, source_event_id, source_type, appeal_id, audience,
                                           template, urgent, facts, status, recipient, delivery_channel, next_attempt_at)
                   SELECT nextval('deliveries_queue_seq'), gen_random_uuid(), gen_random_uuid(), 'appeal.registered',
                          gen_random_uuid(), 'citizen', 'citizen.registered', false, '{}', $1,
                          'citizen:' || gen_random_uuid(), $2, $3
                   FROM generate_series(1, $4)""", status, channel, NOW, rows)
        await conn.execute("ANALYZE deliveries")
        await metrics.sample(conn, NOW)
        assert metrics.BACKLOG.labels("sms")._value.get() == 40
        assert metrics.WAITING._value.get() == 7
        assert (metrics.SENDING.labels("sms")._value.get(), metrics.SENDING.labels("email")._value.get()) == (5, 2)
        assert (metrics.IN_DOUBT.labels("email")._value.get(), metrics.IN_DOUBT.labels("sms")._value.get()) == (3, 0)

        plan = json.loads(await conn.fetchval("EXPLAIN (FORMAT JSON) " + metrics.SENDING_AND_IN_DOUBT))
        assert "Seq Scan" not in json.dumps(plan), "sending and in doubt are counted from their partial indexes"
    finally:
        await conn.close()
