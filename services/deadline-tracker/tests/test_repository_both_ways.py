"""The deadline tracker's repository, the same cases against the in-memory fake the handlers'
tests use and against its tables: every step is observed through the repository's own reads (a
deadline as the handlers lock it, the open ones, the timers that fire, the events parked before
their registration), and both must observe the same. The fake's rules are then the tables' rules,
not a guess at them."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from deadline_fakes import FakeDeadlines

from appeals_deadlines.adapters.repository import PostgresDeadlineRepository
from appeals_deadlines.domain.model import Deadline, Timer
from appeals_devstack.testing import on_the_tables

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
A, B, C, X, Y = (uuid.UUID(int=n) for n in range(1, 6))


def deadline(appeal_id: uuid.UUID, days: int = 15) -> Deadline:
    return Deadline(appeal_id, "standard", "working_days", T0, T0 + timedelta(days=days), False, "open", None,
                    counted_from=date(2026, 12, 3), forwarding_due_at=T0 + timedelta(days=3))


def timer(appeal_id: uuid.UUID, kind: str, hours: float) -> Timer:
    return Timer(appeal_id, kind, T0 + timedelta(days=15), T0 + timedelta(hours=hours))


async def _steps(repo) -> list[object]:
    seen: list[object] = []
    seen.append(await repo.add_all([deadline(A), deadline(B)]))
    seen.append(await repo.add_all([deadline(A, days=30), deadline(C)]))  # A is there already: left alone
    seen += [await repo.get_for_update(A), await repo.get_for_update(X)]
    await repo.update(A, due_at=T0 + timedelta(days=25), extended=True)
    await repo.update(B, status="closed", on_time=True, closed_at=T0 + timedelta(days=2))
    await repo.add_answer_time(A, T0 + timedelta(days=1))
    await repo.add_answer_time(A, T0 + timedelta(days=2))
    seen += [await repo.get_for_update(A), await repo.open_deadlines([A, B, C, X])]

    await repo.add_timers([timer(A, "reminder", 1), timer(A, "breach", 2), timer(B, "breach", 2.5)])
    await repo.add_timers([timer(A, "reminder", 1)])  # the same timer again: one
    seen += [await repo.claim_due_timers(T0 + timedelta(minutes=90), 10),
             await repo.claim_due_timers(T0 + timedelta(minutes=90), 10)]  # fired once
    await repo.cancel_timers(A)  # A's unfired breach goes; its fired reminder is history
    seen.append(await repo.claim_due_timers(T0 + timedelta(hours=3), 10))
    await repo.add_timers([timer(C, "reminder", 5), timer(C, "breach", 4), timer(C, "notice", 6)])
    seen += [await repo.claim_due_timers(T0 + timedelta(hours=7), 2),  # the earliest two
             await repo.claim_due_timers(T0 + timedelta(hours=7), 2)]

    await repo.defer(X, "answered", {"answer": "1"})
    await repo.defer(X, "extension", {"days": "10"})
    await repo.defer(X, "answered", {"answer": "2"})
    await repo.defer(Y, "answered", {"answer": "3"})
    seen += [await repo.take_deferred(X, "answered"), await repo.take_deferred(X, "answered"),
             await repo.take_deferred_all([X, Y, A]), await repo.take_deferred_all([X, Y])]
    return seen


async def test_the_fake_and_the_tables_observe_the_same(deadlines_database: str):
    fake = await _steps(FakeDeadlines())
    assert fake[0] == {A, B} and fake[1] == {C}
    assert fake[2] == deadline(A) and fake[3] is None
    assert fake[4] == replace(deadline(A), due_at=T0 + timedelta(days=25), extended=True,
                              last_answer_submitted_at=T0 + timedelta(days=2),
                              answer_times=(T0 + timedelta(days=1), T0 + timedelta(days=2)))
    assert fake[5] == {A: fake[4], C: deadline(C)}
    assert fake[6] == [timer(A, "reminder", 1)] and fake[7] == []
    assert fake[8] == [timer(B, "breach", 2.5)]
    assert fake[9] == [timer(C, "breach", 4), timer(C, "reminder", 5)] and fake[10] == [timer(C, "notice", 6)]
    assert fake[11] == [{"answer": "1"}, {"answer": "2"}] and fake[12] == []
    assert fake[13] == {X: [("extension", {"days": "10"})], Y: [("answered", {"answer": "3"})]} and fake[14] == {}
    tables = await on_the_tables(deadlines_database, PostgresDeadlineRepository, _steps)
    assert tables == fake
