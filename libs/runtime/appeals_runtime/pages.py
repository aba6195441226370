"""What every page people use needs, once: the words in the reader's language and Almaty's time,
the browser's cookies (language, CSRF binding, sealed session), the security headers, answers
that redirect, the static files, and sign-in with the city's IdP (code flow with PKCE).

The citizen's portal and the executors' workspace build their pages on it; each brings its own
templates, text catalogue and routes."""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any, Literal, TypedDict
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from appeals_runtime.auth import Caller, Unauthenticated, Verifier
from appeals_runtime.cookies import CookieNames, Keys, Session, new_browser_id
from appeals_runtime.i18n import LANGUAGE_NAMES, LANGUAGES, Texts, catalogue, choose_language
from appeals_runtime.oidc import Grant, OidcClient, SignInFailed, new_state, new_verifier

log = logging.getLogger(__name__)

#: Nothing is fetched from elsewhere; forms post to the application only; no page sends a referrer.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

class _CookieFlags(TypedDict):
    path: str
    secure: bool
    httponly: bool
    samesite: Literal["lax", "strict", "none"]


_COOKIE: _CookieFlags = {"path": "/", "secure": True, "httponly": True, "samesite": "lax"}
#: A session's access token is renewed with its refresh token when less than this is left of it.
REFRESH_MARGIN_S = 60


@dataclass
class Visitor:
    """The browser: its language, its CSRF token, and the person when signed in."""

    texts: Texts
    browser_id: str
    new_browser: bool
    csrf_token: str
    session: Session | None
    language_chosen: str | None


class Pages:
    """One application's page plumbing: its cookie names, keys, templates and words."""

    def __init__(self, app: str, package: str, *, keys: Keys, words: Callable[[str], Texts], default_language: str,
                 session_hours: float, static: Mapping[str, str], headers: Mapping[str, str] = HEADERS) -> None:
        self.cookies = CookieNames(app)
        self.package = package
        self.keys = keys
        self.words = words
        self.default_language = default_language
        self.session_max_age_s = int(session_hours * 3600)
        self.static_types = dict(static)
        self.headers = dict(headers)
        self.env = jinja2.Environment(loader=jinja2.PackageLoader(package, "templates"),
                                      autoescape=jinja2.select_autoescape(["html", "j2"]),
                                      undefined=jinja2.StrictUndefined)

    # -- who is asking, in which language ------------------------------------------------------
    def visitor(self, request: Request) -> Visitor:
        chosen = request.query_params.get("lang")
        chosen = chosen if chosen in LANGUAGES else None
        language = choose_language(chosen, request.cookies.get(self.cookies.language),
                                   request.headers.get("accept-language"), default=self.default_language)
        browser_id = request.cookies.get(self.cookies.browser) or ""
        new = not re.fullmatch(r"[A-Za-z0-9_-]{32}", browser_id)
        if new:
            browser_id = new_browser_id()
        return Visitor(self.words(language), browser_id, new, self.keys.csrf_token(browser_id), self.session(request),
                       chosen)

    def session(self, request: Request) -> Session | None:
        return self.keys.session(request.cookies.get(self.cookies.session), now=time.time(),
                                 max_age_s=self.session_max_age_s)

    # -- answers ---------------------------------------------------------------------------------
    def render(self, request: Request, visitor: Visitor, template: str, *, status: int = 200, title: str = "",
               headers: Mapping[str, str] | None = None, here: str | None = None, **values: Any) -> HTMLResponse:
        """A page; its language switch leads to ``here`` (the page's own path unless given: a page
        answering a form names the form's page) with the query kept."""
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        path = here or request.url.path
        switch = {code: f"{path}?{urlencode([*query, ('lang', code)])}" for code in LANGUAGES}
        body = self.env.get_template(template).render(
            t=visitor.texts, visitor=visitor, title=title,
            languages=[(c, LANGUAGE_NAMES[c], switch[c]) for c in LANGUAGES], **values)
        response = HTMLResponse(body, status_code=status, headers={**self.headers, **(headers or {})})
        self.remember(response, visitor)
        return response

    def remember(self, response: Response, visitor: Visitor) -> None:
        if visitor.new_browser:
            response.set_cookie(self.cookies.browser, visitor.browser_id, max_age=365 * 86400, **_COOKIE)
        if visitor.language_chosen:
            response.set_cookie(self.cookies.language, visitor.language_chosen, max_age=365 * 86400, **_COOKIE)

    def see_other(self, url: str, visitor: Visitor | None = None) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store",
                                                                   "Referrer-Policy": "no-referrer"})
        if visitor is not None:
            self.remember(response, visitor)
        return response

    async def posted(self, request: Request, visitor: Visitor) -> dict[str, str] | None:
        """A posted (url-encoded) form, or None when its CSRF token is not this browser's."""
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        if visitor.new_browser or not self.keys.csrf_ok(visitor.browser_id, form.get("csrf_token")):
            return None
        return form

    def csrf_ok(self, visitor: Visitor, token: str | None) -> bool:
        return not visitor.new_browser and self.keys.csrf_ok(visitor.browser_id, token)

    def static(self, name: str) -> Response:
        """One of the application's static files (``static/<name>``), or 404."""
        if name not in self.static_types:
            return Response("not found", 404, media_type="text/plain")
        body = resources.files(self.package).joinpath("static", name).read_bytes()
        return Response(body, media_type=self.static_types[name],
                        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})

    # -- sign-in with the city's IdP -------------------------------------------------------------
    async def start_sign_in(self, oidc: OidcClient, visitor: Visitor) -> Response:
        """Start the authorization code flow with PKCE: state and verifier sealed in a cookie of
        this browser for ten minutes, the browser sent to the IdP. Raises :class:`SignInFailed`
        when the IdP cannot be reached."""
        state, verifier = new_state(), new_verifier()
        target = await oidc.authorization_url(state, verifier)
        response = self.see_other(target, visitor)
        response.set_cookie(self.cookies.sign_in, self.keys.seal({"state": state, "verifier": verifier}),
                            max_age=600, **_COOKIE)
        return response

    async def finish_sign_in(self, request: Request, oidc: OidcClient, verifier: Verifier, *, code: str,
                             state: str) -> tuple[Caller, Grant]:
        """The IdP's redirect back: the state must be this browser's and the code redeems once
        with the verifier; the access token must verify. Raises :class:`SignInFailed`."""
        pending = self.keys.open(request.cookies.get(self.cookies.sign_in), max_age_s=600) or {}
        expected = str(pending.get("state", ""))
        if not (code and state and expected
                and hmac.compare_digest(expected.encode(), state.encode("utf-8", "replace"))):
            raise SignInFailed("unknown or foreign state")
        grant = await oidc.exchange(code, str(pending.get("verifier", "")))
        try:
            caller = await verifier.verify_async(grant.access_token)
        except Unauthenticated as refused:
            raise SignInFailed(str(refused)) from refused
        return caller, grant

    def signed_in(self, response: Response, caller: Caller, grant: Grant, *, now: datetime,
                  session_hours: float) -> Response:
        """Seal the session (the person, their roles and executor, the tokens) into its cookie:
        for ``session_hours`` at most; without a refresh token, never past the access token."""
        until = (now + timedelta(hours=session_hours)).timestamp()
        if grant.refresh_token is None and isinstance(exp := caller.claims.get("exp"), int | float):
            until = min(until, float(exp))
        response.set_cookie(self.cookies.session, self._seal_session(caller, grant, until),
                            max_age=max(int(until - now.timestamp()), 1), **_COOKIE)
        self.forget_sign_in(response)
        return response

    def _seal_session(self, caller: Caller, grant: Grant, until: float) -> str:
        exp = caller.claims.get("exp")
        return self.keys.seal({"sub": caller.subject, "name": caller.name, "token": grant.access_token,
                               "exp": float(exp) if isinstance(exp, int | float) else until, "until": until,
                               "refresh": grant.refresh_token, "roles": sorted(caller.roles),
                               "executor_code": caller.executor_code})

    async def renewed(self, sealed: str | None, oidc: OidcClient, verifier: Verifier, *,
                      now: datetime) -> tuple[str, int] | None | bool:
        """The session cookie with its access token renewed, when less than
        :data:`REFRESH_MARGIN_S` is left of the token and the session has a refresh token:
        ``(sealed, max_age)``; ``False`` when the IdP refused (the session ended there, the user
        was disabled) or the session ran out: the person signs in again; ``None`` when there is
        nothing to renew."""
        value = self.keys.open(sealed, max_age_s=self.session_max_age_s)
        if value is None or not isinstance(value.get("refresh"), str):
            return None
        exp, until, at = value.get("exp"), value.get("until"), now.timestamp()
        if not isinstance(exp, int | float) or not isinstance(until, int | float) or not due_for_renewal(exp, at):
            return None
        if until <= at:
            return False
        renewal = await renew_tokens(oidc, verifier, value["refresh"], subject=str(value.get("sub", "")))
        if renewal is None:
            return False
        caller, grant = renewal
        if grant.refresh_token is None:  # an IdP that renews only once: the session ends with this token
            token_exp = caller.claims.get("exp")
            until = min(until, float(token_exp)) if isinstance(token_exp, int | float) else until
        return self._seal_session(caller, grant, until), max(int(until - at), 1)

    async def sign_out(self, request: Request, response: Response, oidc: OidcClient) -> Response:
        """Forget the session here and end it at the IdP (its refresh token dies, and the
        next sign-in asks for the password)."""
        session = self.session(request) or self.keys.session(
            request.cookies.get(self.cookies.session), now=0.0, max_age_s=self.session_max_age_s)
        if session is not None and session.refresh_token:
            await oidc.end_session(session.refresh_token)
        return self.signed_out(response)

    def forget_sign_in(self, response: Response) -> Response:
        response.delete_cookie(self.cookies.sign_in, **_COOKIE)
        return response

    def signed_out(self, response: Response) -> Response:
        response.delete_cookie(self.cookies.session, **_COOKIE)
        return response


def due_for_renewal(token_expires_at: float, now: float) -> bool:
    """Less than :data:`REFRESH_MARGIN_S` is left of an access token."""
    return token_expires_at - now <= REFRESH_MARGIN_S


async def renew_tokens(oidc: OidcClient, verifier: Verifier, refresh_token: str, *,
                       subject: str) -> tuple[Caller, Grant] | None:
    """A signed-in person's tokens renewed at the IdP and the new access token verified like any
    bearer token; ``None`` (logged without a token) when the IdP refuses (the session ended
    there, the user was disabled), the token does not verify, or it names another person. The
    people's applications (:meth:`Pages.renewed`) and the staff console both renew so."""
    try:
        grant = await oidc.refresh(refresh_token)
        caller = await verifier.verify_async(grant.access_token)
    except (SignInFailed, Unauthenticated) as refused:
        log.info("a session's token was not renewed: %s", refused)
        return None
    if caller.subject != subject:
        log.warning("a renewed token names another person: the session ends")
        return None
    return caller, grant


class SessionRenewal:
    """ASGI middleware of an application with sign-in: before a request reaches its routes, a
    session whose access token is about to run out is renewed with its refresh token (the
    request then carries the renewed cookie, and the answer sets it), or ended when the IdP
    refuses (the request carries none, and the answer deletes it). ``locate`` finds the
    application's :class:`Pages` and :class:`OidcClient` in its started context."""

    def __init__(self, app: Any, locate: Callable[[Any], tuple[Pages, OidcClient]]) -> None:
        self.app = app
        self.locate = locate

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None) if scope["type"] == "http" else None
        if runtime is None:
            await self.app(scope, receive, send)
            return
        pages, oidc = self.locate(runtime.context)
        cookies = Request(scope).cookies
        name = pages.cookies.session
        outcome: tuple[str, int] | None | bool = None
        if cookies.get(name):
            outcome = await pages.renewed(cookies[name], oidc, runtime.verifier, now=runtime.clock.now())
        if outcome is None:
            await self.app(scope, receive, send)
            return
        header = Response()
        if outcome is False:
            cookies.pop(name, None)
            header.delete_cookie(name, **_COOKIE)
        else:
            assert isinstance(outcome, tuple)
            cookies[name] = outcome[0]
            header.set_cookie(name, outcome[0], max_age=outcome[1], **_COOKIE)
        rewritten = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode("latin-1")
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"cookie"] + [(b"cookie", rewritten)]}
        set_cookie = [(k, v) for k, v in header.raw_headers if k == b"set-cookie"]

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *set_cookie]}
            await send(message)

        await self.app(scope, receive, sending)


__all__ = ["HEADERS", "REFRESH_MARGIN_S", "Pages", "SessionRenewal", "due_for_renewal", "renew_tokens", "SignInFailed", "Texts", "Visitor", "catalogue"]
