"""A signed-in person's session outlives the access token: renewed with the refresh token when
less than a minute is left, ended when the IdP refuses (a disabled user, a session ended there)
or when the session's own limit is reached. The IdP here is a stand-in (a handler's unit test);
tests/integration/test_keycloak.py renews and refuses against Keycloak itself."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from appeals_runtime.auth import Caller, Unauthenticated
from appeals_runtime.cookies import Keys
from appeals_runtime.i18n import Texts
from appeals_runtime.oidc import Grant, SignInFailed
from appeals_runtime.pages import REFRESH_MARGIN_S, Pages, SessionRenewal
from appeals_runtime.clock import Clock

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


class StandInIdP:
    """Renews a refresh token it issued, for the same person, until told to refuse."""

    def __init__(self) -> None:
        self.refused = False
        self.subject = "emp-1"
        self.renewals = 0
        self.ended: list[str] = []

    async def refresh(self, refresh_token: str) -> Grant:
        if self.refused or not refresh_token.startswith("rt-"):
            raise SignInFailed("token endpoint refused: 400 invalid_grant")
        self.renewals += 1
        return Grant(f"at-{self.renewals}", 300, f"rt-{self.renewals}")

    async def end_session(self, refresh_token: str) -> bool:
        self.ended.append(refresh_token)
        return True


class StandInVerifier:
    def __init__(self, idp: StandInIdP, now: datetime) -> None:
        self.idp, self.now = idp, now

    async def verify_async(self, token: str) -> Caller:
        if not token.startswith("at-"):
            raise Unauthenticated("the token does not verify")
        return Caller(self.idp.subject, frozenset({"executor"}), "medeu_akimat",
                      {"exp": self.now.timestamp() + 300, "name": "Dana"})


@pytest.fixture(autouse=True)
def page_package(tmp_path, monkeypatch):
    """An application's package with a templates folder, as Pages expects (none is rendered)."""
    (tmp_path / "renewal_test_app" / "templates").mkdir(parents=True)
    (tmp_path / "renewal_test_app" / "__init__.py").write_text("", "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))


def pages() -> Pages:
    return Pages("test", "renewal_test_app", keys=Keys("k" * 40), words=lambda lang: Texts(lang, {}),
                 default_language="en", session_hours=10, static={})


def sealed(p: Pages, *, token_left_s: float, until: datetime, refresh: str | None = "rt-0") -> str:
    return p.keys.seal({"sub": "emp-1", "name": "Dana", "token": "at-0", "exp": NOW.timestamp() + token_left_s,
                        "until": until.timestamp(), "refresh": refresh, "roles": ["executor"],
                        "executor_code": "medeu_akimat"})


async def test_a_token_with_time_left_is_not_renewed():
    p, idp = pages(), StandInIdP()
    cookie = sealed(p, token_left_s=REFRESH_MARGIN_S + 30, until=NOW + timedelta(hours=8))
    assert await p.renewed(cookie, idp, StandInVerifier(idp, NOW), now=NOW) is None
    assert idp.renewals == 0


async def test_a_token_about_to_run_out_is_renewed_until_the_session_s_own_end():
    p, idp = pages(), StandInIdP()
    until = NOW + timedelta(hours=8)
    renewed = await p.renewed(sealed(p, token_left_s=20, until=until), idp, StandInVerifier(idp, NOW), now=NOW)
    assert isinstance(renewed, tuple)
    cookie, max_age = renewed
    assert max_age == 8 * 3600
    session = p.keys.session(cookie, now=NOW.timestamp(), max_age_s=p.session_max_age_s)
    assert session is not None and session.access_token == "at-1" and session.refresh_token == "rt-1"
    assert session.until == until.timestamp() and session.expires_at == NOW.timestamp() + 300


async def test_a_refusal_a_stranger_s_token_or_the_session_s_end_signs_the_person_out():
    p, idp = pages(), StandInIdP()
    verifier = StandInVerifier(idp, NOW)
    idp.refused = True  # a user disabled at the IdP, or a session ended there
    assert await p.renewed(sealed(p, token_left_s=20, until=NOW + timedelta(hours=8)), idp, verifier, now=NOW) is False
    idp.refused, idp.subject = False, "someone-else"
    assert await p.renewed(sealed(p, token_left_s=20, until=NOW + timedelta(hours=8)), idp, verifier, now=NOW) is False
    idp.subject = "emp-1"
    assert await p.renewed(sealed(p, token_left_s=20, until=NOW - timedelta(seconds=1)), idp, verifier,
                           now=NOW) is False
    # Without a refresh token (an IdP that gives none) there is nothing to renew: the session ends with the token.
    assert await p.renewed(sealed(p, token_left_s=20, until=NOW + timedelta(hours=8), refresh=None), idp, verifier,
                           now=NOW) is None


def test_a_session_past_its_own_end_is_no_session_whatever_the_token():
    p = pages()
    cookie = sealed(p, token_left_s=200, until=NOW - timedelta(seconds=1))
    assert p.keys.session(cookie, now=NOW.timestamp(), max_age_s=p.session_max_age_s) is None


def application(p: Pages, idp: StandInIdP, now: datetime) -> FastAPI:
    app = FastAPI()
    app.state.runtime = SimpleNamespace(context=SimpleNamespace(pages=p, oidc=idp),
                                        verifier=StandInVerifier(idp, now), clock=SimpleNamespace(now=lambda: now))

    @app.get("/who")
    async def who(request: Request) -> PlainTextResponse:
        session = p.session(request)
        return PlainTextResponse(session.access_token if session else "nobody")

    app.add_middleware(SessionRenewal, locate=lambda context: (context.pages, context.oidc))
    return app


async def test_the_middleware_hands_the_route_the_renewed_session_and_the_browser_its_cookie():
    # The real clock: the session cookie is read at the time of the request.
    now = Clock().now()
    p, idp = pages(), StandInIdP()
    cookie = p.keys.seal({"sub": "emp-1", "name": "Dana", "token": "at-0", "exp": now.timestamp() + 20,
                          "until": now.timestamp() + 3600, "refresh": "rt-0", "roles": ["executor"]})
    transport = httpx.ASGITransport(app=application(p, idp, now))
    async with httpx.AsyncClient(transport=transport, base_url="https://test",
                                 cookies={p.cookies.session: cookie, "other": "kept"}) as client:
        reply = await client.get("/who")
        assert reply.text == "at-1"
        assert reply.headers["set-cookie"].startswith(f"{p.cookies.session}=")
        idp.refused = True
        stale = p.keys.seal({"sub": "emp-1", "token": "at-0", "exp": time.time() + 20, "until": time.time() + 3600,
                             "refresh": "rt-0"})
        client.cookies.clear()
        client.cookies.set(p.cookies.session, stale)
        reply = await client.get("/who")
        assert reply.text == "nobody"
        assert 'Max-Age=0' in reply.headers["set-cookie"] or "expires=" in reply.headers["set-cookie"].lower()


async def test_signing_out_ends_the_session_at_the_idp():
    p, idp = pages(), StandInIdP()
    now = Clock().now()
    cookie = p.keys.seal({"sub": "emp-1", "token": "at-0", "exp": now.timestamp() + 200,
                          "until": now.timestamp() + 3600, "refresh": "rt-7"})
    app = FastAPI()

    @app.post("/sign-out")
    async def sign_out(request: Request) -> PlainTextResponse:
        return await p.sign_out(request, PlainTextResponse("bye"), idp)  # type: ignore[return-value]

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test",
                                 cookies={p.cookies.session: cookie}) as client:
        reply = await client.post("/sign-out")
    assert reply.text == "bye" and idp.ended == ["rt-7"]
