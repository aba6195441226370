"""The citizen's portal's composition root: its context (the platform's APIs, the IdP, its
keys, its rate limits, the reference data) and its app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from appeals_contracts.reference import LANGUAGES, load_reference
from appeals_portal.adapters.platform import Platform
from appeals_portal.adapters.rate_limits import RateLimits
from appeals_portal.config import PortalSettings
from appeals_portal.domain.words import Texts
from appeals_portal.entrypoints import web
from appeals_runtime.clock import Clock
from appeals_runtime.cookies import Keys
from appeals_runtime.edge import EdgeSpec, create_edge_app
from appeals_runtime.oidc import OidcClient, ServiceAccount
from appeals_runtime.pages import Pages
from appeals_runtime.settings import ServiceSettings

#: Reference tables the pages name things from (table → the Reference attribute).
_TABLES = {"executors": "executors", "categories": "categories", "districts": "districts",
           "appeal_kinds": "appeal_kinds"}


@contextlib.asynccontextmanager
async def open_portal(settings: ServiceSettings, clock: Clock) -> AsyncIterator[web.Portal]:
    assert isinstance(settings, PortalSettings)
    secret = settings.required_secret("portal_secret_key", min_length=32)
    reference = load_reference()
    names = {table: {code: {lang: entry.names[lang] for lang in LANGUAGES}
                     for code, entry in getattr(reference, attribute).entries.items()}
             for table, attribute in _TABLES.items()}
    account = ServiceAccount(issuer=settings.oidc_issuer, client_id=settings.portal_service_client_id,
                             client_secret=settings.required_secret("portal_service_client_secret"))
    platform = Platform(intake_url=settings.intake_url, inspection_url=settings.inspection_url, account=account)
    keys = Keys(secret)
    limits = RateLimits(storage=settings.rate_limit_storage, submit_per_address=settings.submit_limit_per_address,
                        submit_per_contact=settings.submit_limit_per_contact,
                        lookup_per_address=settings.lookup_limit_per_address, key=secret.encode())
    oidc = OidcClient(issuer=settings.oidc_issuer, client_id=settings.portal_client_id,
                      redirect_uri=f"{settings.portal_url.rstrip('/')}/callback")
    pages = Pages("portal", "appeals_portal", keys=keys, words=Texts, default_language=settings.default_language,
                  session_hours=settings.session_hours, static=web.STATIC, headers=web.HEADERS)
    try:
        yield web.Portal(settings, platform, oidc, keys, limits, reference, names, pages)
    finally:
        await platform.close()


def build_app(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()
    # a submission's photos pass through: the form's fields and at most MAX_PHOTOS photos
    submit_limit = settings.max_photos * settings.photo_max_bytes + 256 * 1024
    return create_edge_app(EdgeSpec(
        title="Citizen's portal",
        description="Citizens submit, follow and judge their appeals in Kazakh, Russian or English.",
        settings=settings,
        context=open_portal,
        routers=[web.router],
        readiness=lambda portal: {"intake": portal.platform.ready},
        body_limits={"/submit": submit_limit},
        exception_handlers=web.EXCEPTION_HANDLERS,
        sign_in=lambda context: (context.pages, context.oidc),
    ))
