"""The staff console: server-rendered pages for inspectors and the akim's office under
``/console``, in Kazakh, Russian and English. This module holds what every console page shares:
its settings, the signed-in staff member and the access check every route declares, the
rendering and the form's CSRF check; the routes are in ``console_sign_in`` (the front page,
signing in and out, the language), ``console_pages`` (the queue, answers, escalations,
scorecards, the weekly report) and ``console_answers`` (the prepared answers).

Sign-in is OpenID Connect's authorization code flow with PKCE against ``OIDC_ISSUER``; the
access token that comes back is verified like any bearer token, and the console keeps a
session of its own (a random cookie, ``__Host-`` prefixed, ``Secure``, ``HttpOnly``,
``SameSite=Lax``; the table keeps its SHA-256), renewed with the IdP's refresh token before
its access token runs out. Every route declares its roles with :class:`ConsoleAccess`, the
session's counterpart of :func:`appeals_runtime.auth.allow`; every form carries the session's
CSRF token. The pages read what the JSON API reads, and a verdict goes through the same use
case (:func:`appeals_inspection.handlers.decide`)."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from appeals_inspection import handlers
from appeals_inspection.adapters.identity import OidcIdentityProvider
from appeals_inspection.adapters.unit_of_work import PostgresUnitOfWork
from appeals_inspection.domain.console import LANGUAGE_NAMES, LANGUAGES, Texts
from appeals_inspection.domain.sessions import Session
from appeals_inspection.entrypoints.http import InspectionContext
from appeals_runtime.auth import Access, Caller
from appeals_runtime.oidc import OidcClient
from appeals_runtime.service import UnitOfWorkDep

log = logging.getLogger(__name__)

UnitOfWork = Annotated[PostgresUnitOfWork, UnitOfWorkDep]

SESSION_COOKIE = "__Host-console"
SIGN_IN_COOKIE = "__Host-console-sign-in"
PAGE_SIZE = 25

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("appeals_inspection", "templates"),
                          autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)

#: Nothing is fetched from elsewhere at view time; forms post to the console only.
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class ConsoleSettings:
    """What the console needs besides the inspection context."""

    oidc: OidcClient
    session_hours: float
    intake_url: str | None
    default_language: str


@dataclass(frozen=True)
class StaffMember:
    """The signed-in caller of a console route, with the session's CSRF token and language."""

    caller: Caller
    name: str | None
    csrf_token: str
    access_token: str
    texts: Texts

    def may(self, *roles: str) -> bool:
        return bool(self.caller.roles & set(roles))


class SignInNeeded(Exception):
    """No session: the browser goes to the console's front page to sign in."""


class Refused(Exception):
    """A signed-in user whose role may not see the page (403), in the user's language."""

    def __init__(self, texts: Texts) -> None:
        self.texts = texts


class ConsoleAccess(Access):
    """A console route's declared roles, checked against the session instead of a bearer token
    (the same declaration the route × role table in docs/security.md is checked against)."""

    async def __call__(self, request: Request) -> StaffMember:  # type: ignore[override]
        token = request.cookies.get(SESSION_COOKIE)
        session = await _session(request, token) if token else None
        if session is None:
            raise SignInNeeded()
        texts = Texts(session.language or _settings(request).default_language)
        if not session.roles & self.roles:
            raise Refused(texts)
        caller = Caller(session.subject, session.roles, session.executor_code)
        request.state.caller = caller
        return StaffMember(caller, session.name, session.csrf_token, session.access_token, texts)


async def _session(request: Request, token: str) -> Session | None:
    """The cookie's session, renewed when its token is due (:func:`handlers.current_session`)."""
    runtime = request.app.state.runtime
    async with runtime.unit_of_work() as uow:
        return await handlers.current_session(uow, _idp(request), token, now=runtime.clock.now())


def _idp(request: Request) -> OidcIdentityProvider:
    return OidcIdentityProvider(_settings(request).oidc, request.app.state.runtime.verifier)


def console(*roles: str) -> Any:
    """The console's counterpart of :func:`appeals_runtime.auth.allow`."""
    return Depends(ConsoleAccess(frozenset(roles)))


Inspector = Annotated[StaffMember, console("inspector")]
Reader = Annotated[StaffMember, console("inspector", "akim_office")]


def _ctx(request: Request) -> InspectionContext:
    return request.app.state.inspection


def _settings(request: Request) -> ConsoleSettings:
    return request.app.state.console


def _page(request: Request, template: str, texts: Texts, *, user: StaffMember | None = None, status: int = 200,
          **values: Any) -> HTMLResponse:
    names = _ctx(request).names_in(texts.language)
    body = _ENV.get_template(f"console/{template}").render(
        t=texts, user=user, names=names, languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""), **values)
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax")


def _forget(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="lax")


async def _form(request: Request, user: StaffMember) -> dict[str, str]:
    """The posted form, once its CSRF token is the session's; else :class:`CsrfRefused`."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), user.csrf_token.encode()):
        raise CsrfRefused(user.texts)
    return form


class CsrfRefused(Exception):
    def __init__(self, texts: Texts) -> None:
        self.texts = texts


def _front_page_for(roles: frozenset[str]) -> str:
    return "/console/queue" if "inspector" in roles else "/console/reports/weekly"


# -- the pages the refusals answer with ----------------------------------------------------

async def _to_sign_in(request: Request, exc: Exception) -> Response:
    return _see_other("/console/")


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return _page(request, "refused.html.j2", exc.texts, status=403)


async def _stale_form(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CsrfRefused)
    return _page(request, "stale.html.j2", exc.texts, status=403)


#: Declared in inspection's ServiceSpec.
EXCEPTION_HANDLERS = {SignInNeeded: _to_sign_in, Refused: _refused, CsrfRefused: _stale_form}
