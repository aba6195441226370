"""Routing's composition root."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from appeals_contracts.reference import load_reference
from appeals_routing import handlers
from appeals_routing.adapters.data_files import bundled, bundled_directory, read_directory, read_rule_set
from appeals_routing.adapters.signatures import ExecutorKeys
from appeals_routing.adapters.unit_of_work import PostgresUnitOfWork
from appeals_routing.config import RoutingSettings
from appeals_routing.entrypoints import consumers, http
from appeals_runtime.service import Runtime, ServiceSpec, create_app

log = logging.getLogger(__name__)


def kinds_without_executor() -> frozenset[str]:
    kinds = load_reference().appeal_kinds.entries
    return frozenset(code for code, e in kinds.items() if e.attributes.get("needs_executor") is False)


async def load_rule_files(uow: PostgresUnitOfWork, executors_file: Path, rules_file: Path) -> str:
    """Validate and store the files in ``uow``; raises RulesRefused or RuleFileError."""
    ref = load_reference()
    directory = read_directory(executors_file)
    rule_set, checksum = read_rule_set(rules_file, directory)
    return await handlers.load_rules(uow, directory, rule_set, checksum,
                                     categories=ref.categories.codes, districts=ref.districts.codes)


def build_app(settings: RoutingSettings | None = None) -> FastAPI:
    settings = settings or RoutingSettings()

    async def on_start(runtime: Runtime[PostgresUnitOfWork]) -> None:
        async with runtime.unit_of_work() as uow:
            await uow.routing.lock_rule_loading()
            if await uow.routing.current_rule_set() is None:
                outcome = await load_rule_files(uow, settings.executors_file or bundled_directory(),
                                                settings.rules_file or bundled("rules.yaml"))
                log.info("first start: %s", outcome)

    kinds = kinds_without_executor()
    keys = ExecutorKeys.from_file(settings.executor_keys_file)  # a broken key file stops the start here
    return create_app(ServiceSpec(
        title="Routing",
        description="Executor directory, routing rules, assignments and executor actions.",
        settings=settings,
        migrations_package="appeals_routing.migrations",
        unit_of_work=PostgresUnitOfWork,
        publishes=("appeals.assigned.v1", "appeals.answered.v1", "appeals.extension-requested.v1",
                   "appeals.executor-actions-rejected.v1"),
        subscriptions=consumers.subscriptions(kinds, keys, timedelta(seconds=settings.signed_action_max_age_s)),
        routers=[http.router()],
        on_start=on_start,
    ))
