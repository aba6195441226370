"""A stack and the five services of their own for the fuzz tests: the bad records they
publish stay off the topics the other tests read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appeals_devstack.choice import test_stack as fresh_stack
from appeals_devstack.processes import services_running
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
    with services_running(fuzz_stack, tmp_path_factory.mktemp("fuzz"), env=env) as processes:
        yield processes
