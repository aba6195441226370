from __future__ import annotations

import asyncpg
import pytest

from appeals_runtime.migrations import migrate, runtime_migrations
from appeals_runtime.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration


async def test_after_commit_actions_run_only_when_the_unit_commits(scratch_database):
    conn = await asyncpg.connect(scratch_database)
    await migrate(conn, runtime_migrations())
    await conn.close()
    pool = await asyncpg.create_pool(scratch_database, min_size=1, max_size=2)
    counted: list[str] = []
    try:
        async with UnitOfWork(pool, source="/services/test") as uow:
            uow.after_commit(lambda: counted.append("committed"))
            assert counted == [], "not before the commit"
        with pytest.raises(RuntimeError):
            async with UnitOfWork(pool, source="/services/test") as uow:
                uow.after_commit(lambda: counted.append("rolled back"))
                raise RuntimeError("the handler failed")
        async with UnitOfWork(pool, source="/services/test") as uow:
            pass  # a new unit starts with nothing pending
        assert counted == ["committed"]
    finally:
        await pool.close()


async def test_a_kept_trace_is_read_back_and_the_first_one_stays(scratch_database):
    """Where an appeal's trace goes on, kept when it arrives and read when a portal's action or
    an inspector's verdict joins it later; contexts without a valid span are not kept."""
    from uuid import uuid4

    from opentelemetry import trace

    from appeals_runtime.telemetry import context_from_headers

    conn = await asyncpg.connect(scratch_database)
    await migrate(conn, runtime_migrations())
    await conn.close()
    pool = await asyncpg.create_pool(scratch_database, min_size=1, max_size=2)
    first = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    later = "00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01"
    appeal, answer, untraced = uuid4(), uuid4(), uuid4()
    try:
        async with UnitOfWork(pool, source="/services/test") as uow:
            await uow.keep_traces({appeal: context_from_headers({"traceparent": first}), untraced: None,
                                   answer: trace.set_span_in_context(trace.INVALID_SPAN)})
        async with UnitOfWork(pool, source="/services/test") as uow:
            await uow.keep_traces({appeal: context_from_headers({"traceparent": later})})  # redelivered, say
            assert await uow.kept_trace(appeal) == first
            assert await uow.kept_trace(str(appeal)) == first
            assert await uow.kept_trace(untraced) is None and await uow.kept_trace(answer) is None
    finally:
        await pool.close()


async def test_parked_events_come_back_in_arrival_order_once(scratch_database):
    """An event that came before its fact, parked by kind, taken back in the order it came, and
    only once (a second take finds nothing)."""
    from uuid import uuid4

    from appeals_runtime.parking import Parking

    conn = await asyncpg.connect(scratch_database)
    try:
        await migrate(conn, runtime_migrations())
        appeal, other = uuid4(), uuid4()
        parking = Parking(conn)
        async with conn.transaction():
            await parking.park(appeal, "answer", {"submitted_at": "2026-12-01T10:00:00+00:00"})
            await parking.park(other, "merged", {})
            await parking.park(appeal, "accepted", {"answer_submitted_at": "2026-12-01T10:00:00+00:00"})
            await parking.park(appeal, "answer", {"submitted_at": "2026-12-02T10:00:00+00:00"})
        assert await parking.take(appeal, "accepted") == [{"answer_submitted_at": "2026-12-01T10:00:00+00:00"}]
        assert await parking.take_all([appeal]) == {appeal: [("answer", {"submitted_at": "2026-12-01T10:00:00+00:00"}),
                                                             ("answer", {"submitted_at": "2026-12-02T10:00:00+00:00"})]}
        assert await parking.take_all([appeal]) == {} and await parking.take(appeal, "answer") == []
        assert await parking.take_all([other]) == {other: [("merged", {})]}
    finally:
        await conn.close()
