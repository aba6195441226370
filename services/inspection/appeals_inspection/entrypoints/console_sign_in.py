"""The staff console's sign-in and session: the front page, the authorization code flow with PKCE
against ``OIDC_ISSUER``, the session opened on a verified token (renewed by :class:`~appeals_inspection.entrypoints.console.ConsoleAccess`),
signing out (at the IdP too) and the language remembered for the user."""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from appeals_runtime.oidc import SignInFailed, new_state, new_verifier
from appeals_inspection.domain.console import LANGUAGES, Texts, choose_language
from appeals_runtime.auth import PUBLIC, Unauthenticated
from appeals_inspection.entrypoints.console import (SESSION_COOKIE, SIGN_IN_COOKIE, STAFF_ROLES, Reader, UnitOfWork,
                                                    _cookie, _forget, _form, _front_page_for, _page, _see_other,
                                                    _settings, _token_expiry)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console", include_in_schema=False)


# -- signing in and out -------------------------------------------------------------------

@router.get("/", dependencies=[PUBLIC])
async def front(request: Request, lang: str | None = None, failed: bool = False) -> Response:
    """Signed in: the user's first page. Otherwise the sign-in button."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with request.app.state.runtime.unit_of_work() as uow:
            session = await uow.console.session(token, request.app.state.runtime.clock.now())
        if session is not None and session.roles & STAFF_ROLES:
            return _see_other(_front_page_for(session.roles))
    texts = Texts(choose_language(lang, request.headers.get("accept-language"),
                                  default=_settings(request).default_language))
    return _page(request, "sign_in.html.j2", texts, failed=failed, status=400 if failed else 200)


@router.get("/sign-in", dependencies=[PUBLIC])
async def sign_in(request: Request, uow: UnitOfWork) -> Response:
    """Start the authorization code flow: a state bound to this browser (a cookie), the PKCE
    verifier kept here, the browser sent to the IdP."""
    state, verifier = new_state(), new_verifier()
    try:
        target = await _settings(request).oidc.authorization_url(state, verifier)
    except SignInFailed as failed:
        log.warning("console sign-in cannot start: %s", failed)
        return _see_other("/console/?failed=1")
    await uow.console.begin_sign_in(state, verifier, request.app.state.runtime.clock.now())
    response = _see_other(target)
    _cookie(response, SIGN_IN_COOKIE, state, max_age=600)
    return response


@router.get("/callback", dependencies=[PUBLIC])
async def callback(request: Request, uow: UnitOfWork, code: str = "", state: str = "") -> Response:
    """The IdP's redirect back: the state must be this browser's, the code redeems once with
    the verifier, and the access token must verify and name a staff role."""
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    now = request.app.state.runtime.clock.now()
    verifier = None
    if code and state and expected and hmac.compare_digest(expected.encode(), state.encode()):
        verifier = await uow.console.finish_sign_in(state, now)
    if verifier is None:
        log.warning("console sign-in refused: unknown or foreign state")
        return _failed_sign_in()
    settings = _settings(request)
    try:
        grant = await settings.oidc.exchange(code, verifier)
        caller = await request.app.state.runtime.verifier.verify_async(grant.access_token)
    except (SignInFailed, Unauthenticated) as refused:
        log.warning("console sign-in refused: %s", refused)
        return _failed_sign_in()
    if not caller.roles & STAFF_ROLES:
        texts = Texts(choose_language(request.headers.get("accept-language"), default=settings.default_language))
        refusal = _page(request, "refused.html.j2", texts, status=403)
        _forget(refusal, SIGN_IN_COOKIE)
        return refusal
    expires = now + timedelta(hours=settings.session_hours)
    token_expires = _token_expiry(caller)
    if grant.refresh_token is None and token_expires is not None:  # nothing to renew it with
        expires = min(expires, token_expires)
    token = secrets.token_urlsafe(32)
    name = caller.claims.get("name")
    await uow.console.open_session(token, subject=caller.subject, name=name if isinstance(name, str) else None,
                                   roles=caller.roles, executor_code=caller.executor_code,
                                   access_token=grant.access_token, csrf_token=secrets.token_urlsafe(32), now=now,
                                   expires_at=expires, refresh_token=grant.refresh_token,
                                   token_expires_at=token_expires)
    await uow.console.first_language(caller.subject, choose_language(request.headers.get("accept-language"),
                                                                     default=settings.default_language))
    response = _see_other(_front_page_for(caller.roles))
    _cookie(response, SESSION_COOKIE, token, max_age=int((expires - now).total_seconds()))
    _forget(response, SIGN_IN_COOKIE)
    return response


def _failed_sign_in() -> Response:
    response = _see_other("/console/?failed=1")
    _forget(response, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, user: Reader, uow: UnitOfWork) -> Response:
    await _form(request, user)
    refresh_token = await uow.console.close_session(request.cookies.get(SESSION_COOKIE, ""))
    if refresh_token:
        await _settings(request).oidc.end_session(refresh_token)
    response = _see_other("/console/")
    _forget(response, SESSION_COOKIE)
    return response


@router.post("/language")
async def language(request: Request, user: Reader, uow: UnitOfWork) -> Response:
    """Remembered for the user (the token's subject), on every device."""
    form = await _form(request, user)
    if form.get("language") in LANGUAGES:
        await uow.console.prefer_language(user.caller.subject, form["language"])
    back = form.get("next", "")
    return _see_other(back if back.startswith("/console/") and not back.startswith("//") else "/console/")
