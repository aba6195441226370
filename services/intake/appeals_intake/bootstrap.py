"""Intake's composition root: settings, catalog, subscriptions and routes in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, cast

from fastapi import FastAPI

from appeals_contracts.reference import load_reference
from appeals_intake.adapters.images import ImageCleaner
from appeals_intake.adapters.unit_of_work import PostgresUnitOfWork
from appeals_intake.config import IntakeSettings
from appeals_intake.domain import fields
from appeals_intake.domain.model import Catalog
from appeals_intake.domain.places import Places
from appeals_intake.adapters.open311_clients import Open311Clients
from appeals_intake.entrypoints import consumers, http, open311
from appeals_runtime.service import PollingWorker, Runtime, ServiceSpec, create_app


def catalog_from_reference(places: Places | None = None) -> Catalog:
    ref = load_reference()
    return Catalog(
        channels=ref.channels.codes,
        kinds=ref.appeal_kinds.codes,
        categories=ref.categories.codes,
        districts=ref.districts.codes,
        social_networks=ref.social_networks,
        replies_in_channel=frozenset(
            code for code, e in ref.channels.entries.items() if e.attributes.get("replies_in_channel")
        ),
        self_service=frozenset(code for code, e in ref.channels.entries.items() if e.attributes.get("self_service")),
        places=places or Places(),
        duplicate_radius_m={code: float(cast(float, e.attributes["duplicate_radius_m"])) for code, e in ref.categories.entries.items()
                            if e.attributes.get("duplicate_radius_m")},
        fields=fields.from_reference({code: cast(Sequence[Mapping[str, Any]], e.attributes["fields"]) for code, e in ref.categories.entries.items()
                                      if e.attributes.get("fields")}),
    )


def build_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    catalog = catalog_from_reference(settings.places(load_reference().districts.codes))
    store = settings.object_store()
    images = ImageCleaner(settings.image_workers)

    async def on_start(runtime: Runtime[PostgresUnitOfWork]) -> None:
        settings.token_secret()  # no secret, no start: citizens' tokens would be forgeable or void
    spec = ServiceSpec(
        title="Intake",
        description="Registers citizen appeals and serves their status.",
        settings=settings,
        migrations_package="appeals_intake.migrations",
        unit_of_work=PostgresUnitOfWork,
        publishes=("appeals.registered.v1", "appeals.intake-rejected.v1", "appeals.verdicts.v1", "appeals.links.v1"),
        subscriptions=consumers.subscriptions(catalog, settings),
        routers=[http.router(catalog, settings, store, images),
                 open311.router(catalog, settings, Open311Clients.from_file(settings.open311_clients_file), store,
                                images)],
        on_start=on_start,
        body_limits={"/v1/attachments": settings.attachment_max_bytes},
        workers=[PollingWorker("orphan-attachments", partial(
            consumers.sweep_orphan_attachments, store=store, ttl=timedelta(seconds=settings.attachment_orphan_ttl_s),
            batch_size=100), interval_s=min(600.0, settings.attachment_orphan_ttl_s / 4))],
    )
    return create_app(spec)
