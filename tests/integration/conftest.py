"""Fixtures of the cross-service tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appeals_devstack.choice import test_stack
from appeals_devstack.stack import StackInfo


@pytest.fixture(scope="module")
def own_stack(request: pytest.FixtureRequest) -> StackInfo:
    """A fresh stack of the module's own, for a module that starts a service whose consumer
    group an earlier module left with a SIGKILLed member: the embedded broker (Tansu 0.6)
    does not expire such a member, so a newcomer's join would wait on it."""
    state_dir = Path(os.environ.get("APPEALS_TEST_STATE_DIR", Path(__file__).parents[2] / ".state" / "test"))
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    with test_stack(state_dir.with_name(f"{state_dir.name}-{name}")) as info:
        yield info
