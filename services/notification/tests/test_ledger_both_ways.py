"""The writing half of the ledger, the same cases against the in-memory fake the handlers' tests
use and against PostgreSQL: after every step, both say the same notices are waiting, in the same
order. The fake's rules are then the tables' rules, not a guess at them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from notification_fakes import FakeLedger

from appeals_notification.adapters.repository import PostgresLedger
from appeals_notification.domain.ledger import NoticeRow, Written
from appeals_notification.domain.messages import Route

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
APPEAL, OTHER = uuid.UUID(int=1), uuid.UUID(int=2)
EVENT_1, EVENT_2, EVENT_3 = uuid.UUID(int=11), uuid.UUID(int=12), uuid.UUID(int=13)


def notice(number: int, source: uuid.UUID, template: str, appeal: uuid.UUID = APPEAL) -> NoticeRow:
    return NoticeRow(uuid.UUID(int=100 + number), source, "deadline.scheduled", appeal, "citizen", template, False,
                     {"due_at": "2026-12-20"})


def written(row: NoticeRow) -> Written:
    return Written(row.notification_id, Route("citizen:1", "sms", "+77010000001", "ru"), "subject", "body", NOW)


REGISTERED, ASSIGNED = notice(1, EVENT_1, "citizen.registered"), notice(2, EVENT_2, "citizen.assigned")
AGAIN = notice(3, EVENT_1, "citizen.registered")  # the same source, audience and template: not a second notice
ELSEWHERE, SKIPPED = notice(4, EVENT_3, "citizen.registered", OTHER), notice(5, EVENT_2, "citizen.extended")

#: (new, written, skipped) per step, as the handlers hand them over.
STEPS = [
    ([REGISTERED, ASSIGNED], [], []),          # both wait for facts
    ([AGAIN, ELSEWHERE], [], []),              # a redelivery's copy is no notice; another appeal's is
    ([SKIPPED], [], [(SKIPPED.notification_id, "no contact")]),  # skipped at once: never waiting
    ([], [written(REGISTERED)], []),           # the facts came: written, no longer waiting
    ([], [], [(ASSIGNED.notification_id, "the citizen opted out")]),
]
EXPECTED = [
    {APPEAL: [REGISTERED.notification_id, ASSIGNED.notification_id]},
    {APPEAL: [REGISTERED.notification_id, ASSIGNED.notification_id], OTHER: [ELSEWHERE.notification_id]},
    {APPEAL: [REGISTERED.notification_id, ASSIGNED.notification_id], OTHER: [ELSEWHERE.notification_id]},
    {APPEAL: [ASSIGNED.notification_id], OTHER: [ELSEWHERE.notification_id]},
    {OTHER: [ELSEWHERE.notification_id]},
]


async def _waiting(ledger) -> dict[uuid.UUID, list[uuid.UUID]]:
    found = await ledger.waiting_many([APPEAL, OTHER])
    return {a: [r.notification_id for r in rows] for a, rows in found.items() if rows}


@pytest.fixture(params=["fake", "postgresql"])
async def ledger(request, ledger_database):
    if request.param == "fake":
        yield FakeLedger()
        return
    conn = await asyncpg.connect(ledger_database)
    try:
        yield PostgresLedger(conn)
    finally:
        await conn.close()


async def test_the_fake_and_the_tables_keep_the_same_notices_waiting(ledger):
    for (new, done, skipped), expected in zip(STEPS, EXPECTED, strict=True):
        await ledger.record_writing(new, done, skipped, NOW)
        assert await _waiting(ledger) == expected, (new, done, skipped)
