import sys
from pathlib import Path

import asyncpg
import pytest

from appeals_runtime.migrations import discover, migrate, runtime_migrations

# The tests share one in-memory unit of work (deadline_fakes.py); pytest imports test files by
# path (--import-mode=importlib), so their folder is put on the path for that module.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
async def deadlines_database(scratch_database: str) -> str:
    """A scratch database with the deadline tracker's tables (and the runtime's, which its
    migrations read)."""
    conn = await asyncpg.connect(scratch_database)
    try:
        await migrate(conn, runtime_migrations() + discover("deadline-tracker", "appeals_deadlines.migrations"))
    finally:
        await conn.close()
    return scratch_database
