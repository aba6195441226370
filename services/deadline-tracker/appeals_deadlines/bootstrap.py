"""The deadline tracker's composition root."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from appeals_contracts.reference import load_reference
from appeals_deadlines.adapters import metrics
from appeals_deadlines.adapters.data_files import read_calendar, read_regime
from appeals_deadlines.adapters.unit_of_work import PostgresUnitOfWork
from appeals_deadlines.config import DeadlineSettings
from appeals_deadlines.entrypoints import consumers
from appeals_runtime.service import PollingWorker, ServiceSpec, create_app


def build_app(settings: DeadlineSettings | None = None) -> FastAPI:
    settings = settings or DeadlineSettings()
    channels = load_reference().channels.entries
    families = {code: str(e.attributes["deadline_family"]) for code, e in channels.items()}
    # A missing or inconsistent policy file stops the start-up here, with its reasons.
    regime = read_regime(frozenset(families.values()), settings.policies_file, settings.deadline_regime)
    calendar = read_calendar(settings.calendar_file)

    return create_app(ServiceSpec(
        title="Deadline tracker",
        description="Legal deadline policies, the Kazakhstan working-day calendar, reminders and breaches.",
        settings=settings,
        migrations_package="appeals_deadlines.migrations",
        unit_of_work=PostgresUnitOfWork,
        publishes=("appeals.deadlines.v1",),
        sample=metrics.sample,
        subscriptions=consumers.subscriptions(regime, calendar, families),
        workers=[PollingWorker("timer-sweep", partial(consumers.sweep, batch_size=settings.sweep_batch_size),
                               settings.sweep_interval_s)],
    ))
