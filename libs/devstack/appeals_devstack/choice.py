"""Which stack the tests use: ``APPEALS_STACK=embedded|containers|auto`` (default ``auto``).

``auto`` takes testcontainers (Apache Kafka and PostgreSQL images) when a Docker engine
answers, and the embedded stack otherwise. On the embedded stack, ``APPEALS_KAFKA=apache``
runs Apache Kafka (a three-node KRaft cluster, SASL_SSL, ACLs) instead of the embedded broker.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from appeals_devstack.stack import EmbeddedStack, StackInfo


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def chosen_kind() -> str:
    kind = os.environ.get("APPEALS_STACK", "auto").strip().lower()
    if kind not in ("auto", "embedded", "containers"):
        raise ValueError(f"APPEALS_STACK must be embedded, containers or auto, not {kind!r}")
    if kind == "auto":
        return "containers" if docker_answers() else "embedded"
    return kind


@contextlib.contextmanager
def test_stack(state_dir: Path) -> Iterator[StackInfo]:
    """A stack for one test session, torn down afterwards."""
    if chosen_kind() == "containers":
        from appeals_devstack.containers import container_stack

        with container_stack(state_dir) as info:
            yield info
    else:
        with EmbeddedStack(state_dir, fresh=True, kafka=chosen_kafka()) as info:
            yield info


def chosen_kafka() -> str:
    kafka = os.environ.get("APPEALS_KAFKA", "embedded").strip().lower()
    if kafka not in ("embedded", "apache"):
        raise ValueError(f"APPEALS_KAFKA must be embedded or apache, not {kafka!r}")
    return kafka
