from __future__ import annotations

import asyncio

import asyncpg
import pytest

from appeals_runtime.migrations import Migration, MigrationError, migrate

pytestmark = pytest.mark.integration

FIRST = Migration("svc", 1, "0001_things.sql", "CREATE TABLE things (id int PRIMARY KEY)")
SECOND = Migration("svc", 2, "0002_more.sql", "ALTER TABLE things ADD COLUMN name text")


async def test_applies_in_order_once(scratch_database):
    conn = await asyncpg.connect(scratch_database)
    try:
        assert await migrate(conn, [FIRST]) == ["svc/0001_things.sql"]
        assert await migrate(conn, [FIRST, SECOND]) == ["svc/0002_more.sql"]
        assert await migrate(conn, [FIRST, SECOND]) == []
    finally:
        await conn.close()


async def test_an_edited_applied_migration_is_refused(scratch_database):
    conn = await asyncpg.connect(scratch_database)
    try:
        await migrate(conn, [FIRST])
        edited = Migration("svc", 1, "0001_things.sql", FIRST.sql + " -- edited")
        with pytest.raises(MigrationError, match="checksum"):
            await migrate(conn, [edited, SECOND])
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 1
    finally:
        await conn.close()


async def test_two_replicas_migrating_at_once_apply_each_file_once(scratch_database):
    conns = [await asyncpg.connect(scratch_database) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c, [FIRST, SECOND]) for c in conns))
        assert sorted(sum(results, [])) == ["svc/0001_things.sql", "svc/0002_more.sql"]
    finally:
        for c in conns:
            await c.close()
