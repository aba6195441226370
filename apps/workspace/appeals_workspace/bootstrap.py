"""The executors' workspace's composition root: its context (the platform's APIs, the IdP, the
organisations' signing keys, the Kafka producer of actions, the reference data) and its app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from appeals_contracts.reference import load_reference
from appeals_runtime.clock import Clock
from appeals_runtime.cookies import Keys
from appeals_runtime.edge import EdgeSpec, create_edge_app
from appeals_runtime.oidc import OidcClient
from appeals_runtime.pages import Pages
from appeals_runtime.publisher import KafkaPublisher
from appeals_runtime.settings import ServiceSettings
from appeals_workspace.adapters.actions import ActionSender, SigningKeys
from appeals_workspace.adapters.platform import Platform
from appeals_workspace.config import WorkspaceSettings
from appeals_workspace.domain.words import texts
from appeals_workspace.entrypoints import web


@contextlib.asynccontextmanager
async def open_workspace(settings: ServiceSettings, clock: Clock) -> AsyncIterator[web.Workspace]:
    assert isinstance(settings, WorkspaceSettings)
    secret = settings.required_secret("workspace_secret_key", min_length=32)
    if settings.workspace_signing_keys_dir is None:
        raise ValueError("WORKSPACE_SIGNING_KEYS_DIR must be set")
    keys = SigningKeys(settings.workspace_signing_keys_dir)
    pages = Pages("workspace", "appeals_workspace", keys=Keys(secret), words=texts,
                  default_language=settings.default_language, session_hours=settings.session_hours,
                  static={"workspace.css": "text/css; charset=utf-8"})
    platform = Platform(routing_url=settings.routing_url, intake_url=settings.intake_url,
                        inspection_url=settings.inspection_url)
    oidc = OidcClient(issuer=settings.oidc_issuer, client_id=settings.workspace_client_id,
                      redirect_uri=f"{settings.workspace_url.rstrip('/')}/callback")
    publisher = KafkaPublisher(settings)
    await publisher.start()
    try:
        yield web.Workspace(settings, platform, ActionSender(publisher, keys), keys, oidc, pages, load_reference())
    finally:
        await publisher.stop()
        await platform.close()


def build_app(settings: WorkspaceSettings | None = None) -> FastAPI:
    settings = settings or WorkspaceSettings()
    # an answer's photos pass through: the form's fields and at most MAX_PHOTOS photos
    answer_limit = settings.max_photos * settings.photo_max_bytes + 256 * 1024
    return create_edge_app(EdgeSpec(
        title="Executors' workspace",
        description="Employees of executor organisations answer their appeals in Kazakh, Russian or English.",
        settings=settings,
        context=open_workspace,
        routers=[web.router],
        readiness=lambda workspace: {"routing": workspace.platform.ready},
        body_limits={"/appeals/": answer_limit},
        exception_handlers=web.EXCEPTION_HANDLERS,
        sign_in=lambda context: (context.pages, context.oidc),
    ))
