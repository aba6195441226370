"""What every page people use needs, once: the words in the reader's language and Almaty's time,
the browser's cookies (language, CSRF binding, sealed session), the security headers, answers
that redirect, the static files, and sign-in with the city's IdP (code flow with PKCE).

The citizen's portal and the executors' workspace build their pages on it; each brings its own
templates, text catalogue and routes."""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from appeals_runtime.auth import Caller, Unauthenticated, Verifier
from appeals_runtime.cookies import CookieNames, Keys, Session, new_browser_id
from appeals_runtime.i18n import LANGUAGE_NAMES, LANGUAGES, Texts, catalogue, choose_language
from appeals_runtime.oidc import Grant, OidcClient, SignInFailed, new_state, new_verifier

#: Nothing is fetched from elsewhere; forms post to the application only; no page sends a referrer.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_COOKIE = {"path": "/", "secure": True, "httponly": True, "samesite": "lax"}


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
        """Seal the session (the person, their roles and executor, the token) into its cookie:
        for ``session_hours`` at most, never past the token."""
        expires = now + timedelta(hours=session_hours)
        if isinstance(exp := caller.claims.get("exp"), int | float):
            expires = min(expires, datetime.fromtimestamp(exp, UTC))
        sealed = self.keys.seal({"sub": caller.subject, "name": caller.name, "token": grant.access_token,
                                 "exp": expires.timestamp(), "roles": sorted(caller.roles),
                                 "executor_code": caller.executor_code})
        response.set_cookie(self.cookies.session, sealed, max_age=max(int((expires - now).total_seconds()), 1),
                            **_COOKIE)
        self.forget_sign_in(response)
        return response

    def forget_sign_in(self, response: Response) -> Response:
        response.delete_cookie(self.cookies.sign_in, **_COOKIE)
        return response

    def signed_out(self, response: Response) -> Response:
        response.delete_cookie(self.cookies.session, **_COOKIE)
        return response


__all__ = ["HEADERS", "Pages", "SignInFailed", "Texts", "Visitor", "catalogue"]
