"""The deadline tracker's composition root."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from appeals_contracts.reference import load_reference
from appeals_deadlines.adapters.data_files import read_calendar, read_regime
from appeals_deadlines.config import DeadlineSettings
from appeals_deadlines.entrypoints import consumers
from appeals_runtime.service import Runtime, ServiceSpec, create_app


def build_app(settings: DeadlineSettings | None = None) -> FastAPI:
    settings = settings or DeadlineSettings()
    channels = load_reference().channels.entries
    families = {code: str(e.attributes["deadline_family"]) for code, e in channels.items()}
    # A missing or inconsistent policy file stops the start-up here, with its reasons.
    regime = read_regime(frozenset(families.values()), Path(settings.policies_file) if settings.policies_file else None,
                         settings.deadline_regime or None)
    calendar = read_calendar(Path(settings.calendar_file) if settings.calendar_file else None)

    async def timer_sweep(runtime: Runtime) -> None:
        await consumers.sweep(runtime, interval_s=settings.sweep_interval_s, batch_size=settings.sweep_batch_size,
                              clock=settings.now)

    return create_app(ServiceSpec(
        title="Deadline tracker",
        description="Legal deadline policies, the Kazakhstan working-day calendar, reminders and breaches.",
        settings=settings,
        migrations_package="appeals_deadlines.migrations",
        publishes=("appeals.deadlines.v1",),
        subscribe=lambda runtime: consumers.subscribe_all(runtime, regime, calendar, families, settings.now),
        background=[timer_sweep],
    ))
