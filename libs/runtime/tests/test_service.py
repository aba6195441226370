"""Start-up and shutdown of the process skeleton on the real stack."""

from __future__ import annotations

import uuid

import pytest

from appeals_contracts.events import DeadlineBreached
from appeals_runtime.service import Runtime, ServiceSpec, start
from appeals_runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration


def spec_for(stack, database_url: str, **changes) -> ServiceSpec:
    settings = ServiceSettings(service_name="svc", database_url=database_url,
                               kafka_bootstrap_servers=stack.bootstrap_servers, kafka_enable_idempotence=False,
                               db_pool_min_size=1, db_pool_max_size=2)
    return ServiceSpec(title="t", settings=settings, migrations_package=None, subscriptions=(),
                       **changes)


async def test_a_start_that_fails_half_way_leaves_nothing_open(stack, scratch_database):
    started: list[Runtime] = []

    async def on_start(runtime: Runtime) -> None:
        started.append(runtime)
        raise ValueError("rules file refused")

    with pytest.raises(ValueError, match="rules file refused"):
        async with start(spec_for(stack, scratch_database, on_start=on_start)):
            pass
    [runtime] = started
    assert runtime.pool.is_closing(), "the database pool was closed"
    assert runtime.publisher._producer._closed, "the Kafka producer was stopped"


async def test_a_started_service_announces_through_its_unit_of_work(stack, scratch_database):
    async with start(spec_for(stack, scratch_database)) as runtime:
        now = runtime.clock.now()
        async with runtime.unit_of_work() as uow:
            envelope = uow.announce(DeadlineBreached(appeal_id=uuid.uuid4(), due_at=now,
                                                     breached_at=now), subject="s-1")
        assert envelope.source == "/services/svc"
    assert runtime.pool.is_closing()
