"""A stack and the five services of their own for the fuzz tests: the bad records they
publish stay off the topics the other tests read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appeals_devstack.choice import test_stack as fresh_stack
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo


@pytest.fixture(scope="package")
def fuzz_stack() -> StackInfo:
    state_dir = Path(os.environ.get("APPEALS_TEST_STATE_DIR", Path(__file__).parents[2] / ".state" / "test"))
    with fresh_stack(state_dir.with_name(state_dir.name + "-fuzz")) as info:
        yield info


@pytest.fixture(scope="package")
def services(fuzz_stack: StackInfo, tmp_path_factory):
    # The fuzzers upload thousands of files under one subject: the hourly quota (tested on its own)
    # would turn their later uploads into 429s.
    env = {"intake": {"ATTACHMENT_QUOTA_PER_HOUR": "1000000"}}
    processes = {s.name: ServiceProcess(s, fuzz_stack, tmp_path_factory.mktemp("fuzz"),
                                        extra_env=env.get(s.name, {})).start() for s in SERVICES}
    try:
        for p in processes.values():
            p.wait_ready(timeout_s=120)
        yield processes
    finally:
        for p in processes.values():
            p.stop()
