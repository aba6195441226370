"""The console's side of OpenID Connect's authorization code flow with PKCE (RFC 7636): the
authorization request's URL, and the code's exchange at the token endpoint. The endpoints
come from the issuer's discovery document; the access token that comes back is verified like
every bearer token (:class:`appeals_runtime.auth.Verifier`) before anyone is signed in."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge


class SignInFailed(Exception):
    """The IdP refused the code, or could not be reached; the reason is for the log (it never
    carries a token)."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str


@dataclass(frozen=True)
class Grant:
    access_token: str
    expires_in: int | None


def new_state() -> str:
    return generate_token(43)


def new_verifier() -> str:
    """A PKCE code verifier: 64 characters of the unreserved alphabet (RFC 7636 §4.1)."""
    return generate_token(64)


class OidcClient:
    """One public client (``client_id``) of one issuer, redirecting to ``redirect_uri``."""

    def __init__(self, *, issuer: str, client_id: str, redirect_uri: str, timeout_s: float = 10.0) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self._timeout = timeout_s
        self._endpoints: Endpoints | None = None
        self._lock = asyncio.Lock()

    async def endpoints(self) -> Endpoints:
        async with self._lock:
            if self._endpoints is None:
                try:
                    async with httpx.AsyncClient(timeout=self._timeout) as http:
                        reply = await http.get(f"{self.issuer}/.well-known/openid-configuration")
                        reply.raise_for_status()
                        doc = reply.json()
                    self._endpoints = Endpoints(doc["authorization_endpoint"], doc["token_endpoint"])
                except (httpx.HTTPError, KeyError, ValueError) as exc:
                    raise SignInFailed(f"discovery failed: {type(exc).__name__}") from None
            return self._endpoints

    async def authorization_url(self, state: str, verifier: str) -> str:
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                 "scope": "openid", "state": state, "code_challenge": create_s256_code_challenge(verifier),
                 "code_challenge_method": "S256"}
        return f"{(await self.endpoints()).authorization}?{urlencode(query)}"

    async def exchange(self, code: str, verifier: str) -> Grant:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                "client_id": self.client_id, "code_verifier": verifier}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as http:
                reply = await http.post((await self.endpoints()).token, data=form,
                                        headers={"Accept": "application/json"})
            body = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SignInFailed(f"token endpoint unreachable: {type(exc).__name__}") from None
        if reply.status_code != 200 or not isinstance(body.get("access_token"), str):
            raise SignInFailed(f"token endpoint refused: {reply.status_code} {body.get('error', '')}")
        expires = body.get("expires_in")
        return Grant(body["access_token"], int(expires) if isinstance(expires, int | float) else None)
