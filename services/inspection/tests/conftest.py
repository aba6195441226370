import sys
from pathlib import Path

import pytest

from appeals_devstack.testing import migrated

# The tests share one in-memory unit of work (inspection_fakes.py); pytest imports test files by
# path (--import-mode=importlib), so their folder is put on the path for that module.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
async def inspection_database(scratch_database: str) -> str:
    """A scratch database with inspection's tables (and the runtime's)."""
    return await migrated(scratch_database, "inspection", "appeals_inspection.migrations")
