import sys
from pathlib import Path

import asyncpg
import pytest

from appeals_runtime.migrations import discover, migrate, runtime_migrations

# The tests share one in-memory unit of work (intake_fakes.py); pytest imports test files by path
# (--import-mode=importlib), so their folder is put on the path for that module.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
async def intake_database(scratch_database: str) -> str:
    """A scratch database with intake's tables (and the runtime's)."""
    conn = await asyncpg.connect(scratch_database)
    try:
        await migrate(conn, runtime_migrations() + discover("intake", "appeals_intake.migrations"))
    finally:
        await conn.close()
    return scratch_database
