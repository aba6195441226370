"""The console's identity provider: the OpenID client (authorization code flow with PKCE) and the
platform's token verifier, as the sign-in handlers need them."""

from __future__ import annotations

from appeals_runtime.auth import Caller, Verifier
from appeals_runtime.oidc import Grant, OidcClient
from appeals_runtime.pages import renew_tokens


class OidcIdentityProvider:
    def __init__(self, oidc: OidcClient, verifier: Verifier) -> None:
        self._oidc = oidc
        self._verifier = verifier

    async def authorization_url(self, state: str, verifier: str) -> str:
        return await self._oidc.authorization_url(state, verifier)

    async def exchange(self, code: str, verifier: str) -> Grant:
        return await self._oidc.exchange(code, verifier)

    async def verify(self, access_token: str) -> Caller:
        return await self._verifier.verify_async(access_token)

    async def renew(self, refresh_token: str, *, subject: str) -> tuple[Caller, Grant] | None:
        return await renew_tokens(self._oidc, self._verifier, refresh_token, subject=subject)

    async def end_session(self, refresh_token: str) -> None:
        await self._oidc.end_session(refresh_token)
