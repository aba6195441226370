import asyncpg
import pytest

from appeals_runtime.migrations import discover, migrate


@pytest.fixture
async def ledger_database(scratch_database: str) -> str:
    """A scratch database with notification's tables."""
    conn = await asyncpg.connect(scratch_database)
    try:
        await migrate(conn, discover("notification", "appeals_notification.migrations"))
    finally:
        await conn.close()
    return scratch_database
