"""A client's side of OpenID Connect: the authorization code flow with PKCE (RFC 7636) for the
people's pages (the staff console, the citizen's portal), the refresh of a signed-in person's
token and the end of their session at the IdP, and the client credentials grant (RFC 6749 §4.4)
for an application that calls the platform's APIs under its own name. The endpoints come from
the issuer's discovery document; an access token that comes back is verified like every bearer
token (:class:`appeals_runtime.auth.Verifier`) before anyone is signed in."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

log = logging.getLogger(__name__)


class SignInFailed(Exception):
    """The IdP refused the code, or could not be reached; the reason is for the log (it never
    carries a token)."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    #: Where a session ends (OpenID Connect RP-initiated logout; Keycloak also takes a client's
    #: refresh token there by POST, which ends the person's session at the IdP).
    end_session: str | None = None
    #: Where a token is revoked (RFC 7009).
    revocation: str | None = None


@dataclass(frozen=True)
class Grant:
    access_token: str
    expires_in: int | None
    refresh_token: str | None = None


def new_state() -> str:
    return str(generate_token(43))


def new_verifier() -> str:
    """A PKCE code verifier: 64 characters of the unreserved alphabet (RFC 7636 §4.1)."""
    return str(generate_token(64))


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
                    self._endpoints = Endpoints(doc["authorization_endpoint"], doc["token_endpoint"],
                                                _optional(doc, "end_session_endpoint"),
                                                _optional(doc, "revocation_endpoint"))
                except (httpx.HTTPError, KeyError, ValueError) as exc:
                    raise SignInFailed(f"discovery failed: {type(exc).__name__}") from None
            return self._endpoints

    async def authorization_url(self, state: str, verifier: str) -> str:
        query = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                 "scope": "openid", "state": state, "code_challenge": create_s256_code_challenge(verifier),
                 "code_challenge_method": "S256"}
        return f"{(await self.endpoints()).authorization}?{urlencode(query)}"

    async def exchange(self, code: str, verifier: str) -> Grant:
        return await self.grant({"grant_type": "authorization_code", "code": code,
                                  "redirect_uri": self.redirect_uri, "client_id": self.client_id,
                                  "code_verifier": verifier})

    async def refresh(self, refresh_token: str) -> Grant:
        """A new access token for the same person (RFC 6749 §6); :class:`SignInFailed` when the
        IdP refuses: the session ended there, the user was disabled, the token ran out."""
        return await self.grant({"grant_type": "refresh_token", "refresh_token": refresh_token,
                                  "client_id": self.client_id})

    async def end_session(self, refresh_token: str) -> bool:
        """End the person's session at the IdP, so that the refresh token is dead and the next
        sign-in asks for the password again: the refresh token posted to the end-session
        endpoint (how Keycloak lets a client sign its user out), else revoked (RFC 7009) where
        the IdP has only that. False (and a log line without the token) when neither worked:
        the application forgets the session anyway."""
        try:
            endpoints = await self.endpoints()
            form = {"client_id": self.client_id, "refresh_token": refresh_token}
            async with httpx.AsyncClient(timeout=self._timeout) as http:
                if endpoints.end_session:
                    reply = await http.post(endpoints.end_session, data=form)
                    if reply.status_code in (200, 204):
                        return True
                if endpoints.revocation:
                    reply = await http.post(endpoints.revocation, data={
                        "client_id": self.client_id, "token": refresh_token, "token_type_hint": "refresh_token"})
                    if reply.status_code == 200:
                        return True
        except (SignInFailed, httpx.HTTPError) as exc:
            log.warning("the session could not be ended at the identity provider: %s", type(exc).__name__)
            return False
        log.warning("the identity provider did not end the session")
        return False

    async def grant(self, form: dict[str, str]) -> Grant:
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as http:
                reply = await http.post((await self.endpoints()).token, data=form,
                                        headers={"Accept": "application/json"})
            body = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SignInFailed(f"token endpoint unreachable: {type(exc).__name__}") from None
        if reply.status_code != 200 or not isinstance(body.get("access_token"), str):
            raise SignInFailed(f"token endpoint refused: {reply.status_code} {body.get('error', '')}")
        expires, refresh = body.get("expires_in"), body.get("refresh_token")
        return Grant(body["access_token"], int(expires) if isinstance(expires, int | float) else None,
                     refresh if isinstance(refresh, str) else None)


def _optional(doc: dict[str, object], name: str) -> str | None:
    value = doc.get(name)
    return value if isinstance(value, str) and value else None


class ServiceAccount:
    """A confidential client's own access token (the client credentials grant), fetched when
    first needed and again when less than a minute of it is left; ``forget`` drops it after the
    API refused it (a key rotated, a role changed)."""

    def __init__(self, *, issuer: str, client_id: str, client_secret: str, timeout_s: float = 10.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._client = OidcClient(issuer=issuer, client_id=client_id, redirect_uri="", timeout_s=timeout_s)
        self._secret = client_secret
        self._monotonic = monotonic
        self._token: str | None = None
        self._until = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or self._monotonic() >= self._until:
                grant = await self._client.grant({"grant_type": "client_credentials",
                                                   "client_id": self._client.client_id,
                                                   "client_secret": self._secret})
                self._token = grant.access_token
                self._until = self._monotonic() + max((grant.expires_in or 300) - 60, 1)
            return self._token

    def forget(self) -> None:
        self._token = None
