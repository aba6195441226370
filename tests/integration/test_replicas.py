"""Replicas starting together on an empty database: each comes up (first-start work such as
routing's rule loading happens once, under a lock). Found by the chaos suite's replicas run."""

from __future__ import annotations

from pathlib import Path

import pytest

from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", ["routing", "deadline-tracker"])
def test_two_replicas_start_together_on_an_empty_database(stack: StackInfo, scratch_database: str, tmp_path: Path,
                                                          name: str):
    service = next(s for s in SERVICES if s.name == name)
    replicas = [ServiceProcess(service, stack, tmp_path / f"r{n}", extra_env={"DATABASE_URL": scratch_database})
                for n in range(2)]
    for replica in replicas:
        replica.start()
    try:
        for replica in replicas:
            replica.wait_ready(timeout_s=120)
    finally:
        for replica in replicas:
            replica.stop()
