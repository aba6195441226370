"""The operators' desk's composition root: its context (intake's API, the IdP, the reference
data) and its app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from appeals_contracts.reference import load_reference
from appeals_desk.adapters.intake import Intake
from appeals_desk.config import DeskSettings
from appeals_desk.domain.words import texts
from appeals_desk.entrypoints import web
from appeals_runtime.clock import Clock
from appeals_runtime.cookies import Keys
from appeals_runtime.edge import EdgeSpec, create_edge_app
from appeals_runtime.oidc import OidcClient
from appeals_runtime.pages import HEADERS, Pages
from appeals_runtime.settings import ServiceSettings


#: The pages' headers, and ``desk.js`` may ask the desk's own /check (nothing else) as the operator types.
DESK_HEADERS = {**HEADERS, "Content-Security-Policy": HEADERS["Content-Security-Policy"] + "; connect-src 'self'"}


@contextlib.asynccontextmanager
async def open_desk(settings: ServiceSettings, clock: Clock) -> AsyncIterator[web.Desk]:
    assert isinstance(settings, DeskSettings)
    secret = settings.required_secret("desk_secret_key", min_length=32)
    reference = load_reference()
    pages = Pages("desk", "appeals_desk", keys=Keys(secret), words=texts, default_language=settings.default_language,
                  session_hours=settings.session_hours,
                  static={"desk.css": "text/css; charset=utf-8", "desk.js": "text/javascript; charset=utf-8"},
                  headers=DESK_HEADERS)
    intake = Intake(intake_url=settings.intake_url)
    oidc = OidcClient(issuer=settings.oidc_issuer, client_id=settings.desk_client_id,
                      redirect_uri=f"{settings.desk_url.rstrip('/')}/callback")
    try:
        yield web.Desk(settings, intake, oidc, pages, reference)
    finally:
        await intake.close()


def build_app(settings: DeskSettings | None = None) -> FastAPI:
    settings = settings or DeskSettings()
    return create_edge_app(EdgeSpec(
        title="Operators' desk",
        description="Operators of the contact centre and the front office register appeals and answer "
                    "consultations in Kazakh, Russian or English.",
        settings=settings,
        context=open_desk,
        routers=[web.router],
        readiness=lambda desk: {"intake": desk.intake.ready},
        exception_handlers=web.EXCEPTION_HANDLERS,
        sign_in=lambda context: (context.pages, context.oidc),
    ))
