from __future__ import annotations

import uuid

import asyncpg
import pytest

from appeals_runtime.inbox import claim_new
from appeals_runtime.migrations import migrate, runtime_migrations

pytestmark = pytest.mark.integration


async def test_claims_are_new_once_and_roll_back_with_the_effect(scratch_database):
    conn = await asyncpg.connect(scratch_database)
    try:
        await migrate(conn, runtime_migrations())
        a, b = uuid.uuid4(), uuid.uuid4()
        async with conn.transaction():
            assert await claim_new(conn, "svc.topic", [a, a, b]) == {a, b}
        async with conn.transaction():
            assert await claim_new(conn, "svc.topic", [a, b]) == set()
            assert await claim_new(conn, "other.topic", [a]) == {a}
        c = uuid.uuid4()
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                assert await claim_new(conn, "svc.topic", [c]) == {c}
                raise RuntimeError("the handler failed")
        async with conn.transaction():
            assert await claim_new(conn, "svc.topic", [c]) == {c}, "a failed handler is not remembered as done"
    finally:
        await conn.close()
