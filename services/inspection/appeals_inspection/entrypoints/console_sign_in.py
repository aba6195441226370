"""The staff console's sign-in and session routes: the front page, the authorization code flow
with PKCE against ``OIDC_ISSUER``, signing out (at the IdP too) and the language remembered for
the user. The use cases are :mod:`appeals_inspection.handlers.sessions`; these routes carry their
cookies and pages."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from appeals_inspection import handlers
from appeals_inspection.domain.console import Texts, choose_language
from appeals_inspection.domain.sessions import is_staff
from appeals_inspection.entrypoints.console import (SESSION_COOKIE, SIGN_IN_COOKIE, Reader, UnitOfWork, _cookie,
                                                    _forget, _form, _front_page_for, _idp, _page, _see_other,
                                                    _session, _settings)
from appeals_runtime.auth import PUBLIC
from appeals_runtime.oidc import SignInFailed

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console", include_in_schema=False)


# -- signing in and out -------------------------------------------------------------------

@router.get("/", dependencies=[PUBLIC])
async def front(request: Request, lang: str | None = None, failed: bool = False) -> Response:
    """Signed in: the user's first page. Otherwise the sign-in button."""
    token = request.cookies.get(SESSION_COOKIE)
    session = await _session(request, token) if token else None
    if session is not None and is_staff(session.roles):
        return _see_other(_front_page_for(session.roles))
    texts = Texts(choose_language(lang, request.headers.get("accept-language"),
                                  default=_settings(request).default_language))
    return _page(request, "sign_in.html.j2", texts, failed=failed, status=400 if failed else 200)


@router.get("/sign-in", dependencies=[PUBLIC])
async def sign_in(request: Request, uow: UnitOfWork) -> Response:
    """Start the authorization code flow: a state bound to this browser (a cookie), the PKCE
    verifier kept here, the browser sent to the IdP."""
    try:
        started = await handlers.begin_sign_in(uow, _idp(request), now=request.app.state.runtime.clock.now())
    except SignInFailed as failed:
        log.warning("console sign-in cannot start: %s", failed)
        return _see_other("/console/?failed=1")
    response = _see_other(started.target)
    _cookie(response, SIGN_IN_COOKIE, started.state, max_age=600)
    return response


@router.get("/callback", dependencies=[PUBLIC])
async def callback(request: Request, uow: UnitOfWork, code: str = "", state: str = "") -> Response:
    """The IdP's redirect back (:func:`handlers.finish_sign_in`): the session's cookie, or the
    front page again; a person without a staff role is told so."""
    settings = _settings(request)
    language = choose_language(request.headers.get("accept-language"), default=settings.default_language)
    now = request.app.state.runtime.clock.now()
    try:
        signed_in = await handlers.finish_sign_in(
            uow, _idp(request), code=code, state=state, browser_state=request.cookies.get(SIGN_IN_COOKIE, ""),
            language=language, session_hours=settings.session_hours, now=now)
    except handlers.SignInRefused as refused:
        log.warning("console sign-in refused: %s", refused)
        response = (_page(request, "refused.html.j2", Texts(language), status=403) if refused.why == "not_staff"
                    else _see_other("/console/?failed=1"))
        _forget(response, SIGN_IN_COOKIE)
        return response
    response = _see_other(_front_page_for(signed_in.roles))
    _cookie(response, SESSION_COOKIE, signed_in.token, max_age=int((signed_in.expires_at - now).total_seconds()))
    _forget(response, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, user: Reader, uow: UnitOfWork) -> Response:
    await _form(request, user)
    await handlers.sign_out(uow, _idp(request), request.cookies.get(SESSION_COOKIE, ""))
    response = _see_other("/console/")
    _forget(response, SESSION_COOKIE)
    return response


@router.post("/language")
async def language(request: Request, user: Reader, uow: UnitOfWork) -> Response:
    """Remembered for the user (the token's subject), on every device."""
    form = await _form(request, user)
    await handlers.prefer_language(uow, user.caller.subject, form.get("language", ""))
    back = form.get("next", "")
    return _see_other(back if back.startswith("/console/") and not back.startswith("//") else "/console/")
