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
