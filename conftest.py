"""Fixtures shared by every test tier: the stack (embedded or testcontainers) and databases."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, settings

from appeals_devstack.choice import test_stack
from appeals_devstack.stack import StackInfo

ROOT = Path(__file__).parent

# Tests never assert wall-clock times, and Hypothesis's per-example deadline and its "input
# generation is slow" health check are exactly that: on a shared 2-core machine a first draw
# (Hypothesis building its Unicode tables in a clean clone) took 1.6 s and failed a test that
# had nothing wrong with it. Every other health check stays on.
settings.register_profile("project", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("project")


@pytest.fixture(scope="session")
def stack() -> StackInfo:
    state_dir = Path(os.environ.get("APPEALS_TEST_STATE_DIR", ROOT / ".state" / "test"))
    with test_stack(state_dir) as info:
        yield info


@pytest.fixture
async def scratch_database(stack: StackInfo) -> str:
    """A new, empty database for one test; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(stack.postgres_uri)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield stack.database_url(name)
    admin = await asyncpg.connect(stack.postgres_uri)
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()
