"""The local issuer's sign-in for people: the authorization code flow with PKCE, as a city's
IdP runs it, over real HTTP."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from appeals_devstack.issuer import AUDIENCE, CONSOLE_CLIENT_ID, LocalIssuer
from appeals_devstack.ports import free_port

VERIFIER = "v" * 43 + "erifier-of-the-browser-that-asked"
REDIRECT = "http://127.0.0.1:8005/console/callback"


@pytest.fixture
def issuer(tmp_path):
    running = LocalIssuer(tmp_path / "issuer", free_port()).start()
    yield running
    running.stop()


def authorize(issuer: LocalIssuer, **overrides: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": CONSOLE_CLIENT_ID, "redirect_uri": REDIRECT, "state": "s-1",
            "code_challenge": create_s256_code_challenge(VERIFIER), "code_challenge_method": "S256", **overrides}


def sign_in(issuer: LocalIssuer, username: str = "inspector", password: str | None = None, **overrides: str):
    user = issuer.keys.demo_users()[username]
    form = {**authorize(issuer, **overrides), "username": username,
            "password": user.password if password is None else password}
    return httpx.post(f"{issuer.url}/authorize", data=form, follow_redirects=False)


def exchange(issuer: LocalIssuer, code: str, verifier: str = VERIFIER, redirect: str = REDIRECT) -> httpx.Response:
    return httpx.post(f"{issuer.url}/token", data={"grant_type": "authorization_code", "code": code,
                                                   "client_id": CONSOLE_CLIENT_ID, "redirect_uri": redirect,
                                                   "code_verifier": verifier})


def test_discovery_names_the_code_flow_with_s256(issuer):
    doc = httpx.get(f"{issuer.url}/.well-known/openid-configuration").json()
    assert doc["authorization_endpoint"] == f"{issuer.url}/authorize" and doc["token_endpoint"] == f"{issuer.url}/token"
    assert doc["code_challenge_methods_supported"] == ["S256"] and doc["response_types_supported"] == ["code"]


def test_a_demo_user_signs_in_and_the_code_redeems_once_for_a_verifiable_token(issuer):
    page = httpx.get(f"{issuer.url}/authorize", params=authorize(issuer))
    assert page.status_code == 200 and re.search(r'<label for="password">', page.text)
    reply = sign_in(issuer)
    assert reply.status_code == 303
    target = urlsplit(reply.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT
    query = parse_qs(target.query)
    assert query["state"] == ["s-1"] and query["iss"] == [issuer.url]
    token = exchange(issuer, query["code"][0])
    assert token.status_code == 200, token.text
    key = jwt.PyJWKSet.from_dict(issuer.keys.jwks).keys[0].key
    claims = jwt.decode(token.json()["access_token"], key, algorithms=["RS256"], audience=AUDIENCE, issuer=issuer.url)
    assert claims["sub"] == "inspector-demo" and claims["roles"] == ["inspector"]
    assert exchange(issuer, query["code"][0]).json()["error"] == "invalid_grant"  # once only


def test_a_wrong_password_gets_the_form_again(issuer):
    reply = sign_in(issuer, password="not-it")
    assert reply.status_code == 401 and "Wrong user name or password" in reply.text


@pytest.mark.parametrize("overrides, why", [
    ({"client_id": "someone-else"}, "unknown client_id"),
    ({"redirect_uri": "https://attacker.example/cb"}, "loopback"),
    ({"code_challenge_method": "plain"}, "S256"),
    ({"response_type": "token"}, "response_type"),
    ({"redirect_uri": REDIRECT + "\r\nSet-Cookie: session=stolen"}, "loopback"),
    ({"redirect_uri": REDIRECT + "\nLocation: https://attacker.example/"}, "loopback"),
])
def test_a_request_it_cannot_trust_is_refused_without_redirecting(issuer, overrides, why):
    page = httpx.get(f"{issuer.url}/authorize", params=authorize(issuer, **overrides), follow_redirects=False)
    assert page.status_code == 400 and why in page.text and "location" not in page.headers
    posted = sign_in(issuer, **overrides) if "redirect_uri" in overrides else page
    assert posted.status_code == 400 and "location" not in posted.headers and "set-cookie" not in posted.headers


def test_the_code_needs_the_verifier_and_the_same_redirect(issuer):
    code = parse_qs(urlsplit(sign_in(issuer).headers["location"]).query)["code"][0]
    assert exchange(issuer, code, verifier="w" * 50).json()["error"] == "invalid_grant"
    code = parse_qs(urlsplit(sign_in(issuer).headers["location"]).query)["code"][0]
    assert exchange(issuer, code, redirect="http://127.0.0.1:9/other").json()["error"] == "invalid_grant"


def test_demo_passwords_are_made_once_and_kept_private(issuer):
    first = issuer.keys.demo_users()
    assert first == issuer.keys.demo_users()
    assert (issuer.keys.directory / "demo-users.json").stat().st_mode & 0o077 == 0
    assert first["executor"].executor_code and first["akim"].roles == ("akim_office",)
