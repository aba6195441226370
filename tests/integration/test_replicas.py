"""Replicas starting together on an empty database: each comes up (first-start work such as
routing's rule loading happens once, under a lock). Found by the chaos suite's replicas run.

A stack of its own: the session's broker keeps consumer groups whose members earlier tests
killed, and a join into such a group can wait long (as test_platform_lifecycle notes)."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import asyncpg
import pytest

from appeals_devstack.choice import test_stack as fresh_stack
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def replicas_stack():
    state_dir = Path(os.environ.get("APPEALS_TEST_STATE_DIR", Path(__file__).parents[2] / ".state" / "test"))
    with fresh_stack(state_dir.with_name(state_dir.name + "-replicas")) as info:
        yield info


def _empty_database(stack: StackInfo) -> str:
    name = f"r_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        admin = await asyncpg.connect(stack.postgres_uri)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    asyncio.run(create())
    return stack.database_url(name)


@pytest.mark.parametrize("name", ["routing", "deadline-tracker"])
def test_two_replicas_start_together_on_an_empty_database(replicas_stack: StackInfo, tmp_path: Path, name: str):
    service = next(s for s in SERVICES if s.name == name)
    database = _empty_database(replicas_stack)
    replicas = [ServiceProcess(service, replicas_stack, tmp_path / f"r{n}", extra_env={"DATABASE_URL": database})
                for n in range(2)]
    for replica in replicas:
        replica.start()
    try:
        for replica in replicas:
            replica.wait_ready(timeout_s=120)
    finally:
        for replica in replicas:
            replica.stop()
