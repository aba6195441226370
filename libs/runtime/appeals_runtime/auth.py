"""Who is calling: OAuth 2.0 bearer tokens (JWT) of the city's OpenID Connect provider,
verified against its published keys, and one declaration per route of the roles it admits.

Every route of every service declares its rule, either as a dependency whose value it uses::

    async def accept(caller: Annotated[Caller, allow("inspector")]) -> ...

or, when it needs no caller, in the decorator: ``dependencies=[allow("sre")]``. Probes say
``dependencies=[PUBLIC]``. A route with no declaration is a test failure.

Verification uses PyJWT: the signature against the issuer's JWKS (fetched once, cached, and
fetched again when a token names a key id it does not know, so keys rotate without a
restart), the issuer, the audience, expiry and not-before. A missing or bad token is 401 with
``WWW-Authenticate``; a good token without an admitted role is 403. There is no switch that
turns verification off.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)

#: The roles of the platform (docs/security.md has the route × role table).
ROLES = frozenset({"citizen", "operator", "adapter", "executor", "executor_head", "inspector", "akim_office", "sre"})


@dataclass(frozen=True)
class Caller:
    """The verified identity behind a request. ``subject`` is the token's ``sub``: the
    inspector's or employee's id that goes into the audit trail."""

    subject: str
    roles: frozenset[str]
    executor_code: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def is_executor_of(self, executor_code: str | None) -> bool:
        return "executor" in self.roles and executor_code is not None and self.executor_code == executor_code

    @property
    def name(self) -> str | None:
        """The person's name as the token gives it (``name``), if it does."""
        value = self.claims.get("name")
        return value[:200] if isinstance(value, str) and value.strip() else None


class Unauthenticated(Exception):
    """No token, or one that does not verify."""


class IdentityProviderUnavailable(Exception):
    """The identity provider's discovery document or keys cannot be fetched: nobody can be
    verified for now, which is the platform's fault, not the caller's (503, try again)."""


#: Seconds a caller is asked to wait when the identity provider cannot be reached.
IDP_RETRY_AFTER_S = 30


class Verifier:
    """Verifies bearer tokens of one issuer for one audience."""

    def __init__(self, *, issuer: str, audience: str, jwks_url: str | None = None,
                 algorithms: tuple[str, ...] = ("RS256", "ES256"), roles_claim: str = "roles",
                 executor_claim: str = "executor_code", leeway_s: float = 30.0,
                 refresh_cooldown_s: float = 30.0) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self._jwks_url = jwks_url
        self._algorithms = list(algorithms)
        self._roles_claim = roles_claim
        self._executor_claim = executor_claim
        self._leeway = leeway_s
        self._cooldown = refresh_cooldown_s  # an unknown key id refetches the JWKS at most this often
        self._client: jwt.PyJWKClient | None = None

    def _keys(self) -> jwt.PyJWKClient:
        if self._client is None:
            url = self._jwks_url or _discover_jwks(self.issuer)
            self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=10,
                                           cooldown_duration=self._cooldown)
        return self._client

    def verify(self, token: str) -> Caller:
        """The caller named by ``token``; raises :class:`Unauthenticated` with a reason fit for
        the caller (never the token or its claims)."""
        try:
            key = self._keys().get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key.key, algorithms=self._algorithms, audience=self.audience,
                                issuer=self.issuer, leeway=self._leeway,
                                options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.PyJWKClientConnectionError as exc:
            log.warning("the identity provider's keys could not be fetched: %s", type(exc).__name__)
            raise IdentityProviderUnavailable("the identity provider's keys cannot be fetched") from None
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("the token is not meant for this platform") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("the token comes from another issuer") from None
        except (jwt.PyJWTError, ValueError):
            raise Unauthenticated("the token does not verify") from None
        roles = _claim(claims, self._roles_claim)
        roles = frozenset(r for r in (roles if isinstance(roles, list) else []) if isinstance(r, str))
        executor = claims.get(self._executor_claim)
        return Caller(str(claims["sub"]), roles, executor if isinstance(executor, str) else None, claims)

    async def verify_async(self, token: str) -> Caller:
        """:meth:`verify` off the event loop (a key fetch is a blocking HTTP call)."""
        return await asyncio.to_thread(self.verify, token)


def _discover_jwks(issuer: str) -> str:
    try:
        with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=10) as reply:  # noqa: S310
            return str(json.load(reply)["jwks_uri"])
    except (OSError, ValueError, KeyError, TypeError) as exc:  # URLError and timeouts are OSErrors
        log.warning("the identity provider's discovery document could not be read: %s", type(exc).__name__)
        raise IdentityProviderUnavailable("the identity provider's discovery document cannot be read") from None


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by dotted path (Keycloak puts roles under ``realm_access.roles``)."""
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("a bearer token is required")
    return token.strip()


def _challenge(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers={
        "WWW-Authenticate": f'Bearer realm="open-appeals", error="invalid_token", error_description="{reason}"'})


class Access:
    """A route's declared rule: the roles it admits (empty for a public route)."""

    def __init__(self, roles: frozenset[str], *, citizen: bool = False) -> None:
        unknown = roles - ROLES
        if unknown:
            raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")
        self.roles = roles
        #: A citizen's route: the appeal's status token, or a citizen's own bearer token; the route
        #: checks either against the appeal.
        self.citizen = citizen

    async def __call__(self, request: Request) -> Caller | None:
        if not self.roles:
            if self.citizen and request.headers.get("authorization"):
                caller = await self._verified(request)  # a bad token is refused, not ignored
                request.state.caller = caller
                return caller
            return None
        caller = getattr(request.state, "verified_caller", None) or await self._verified(request)
        if not caller.roles & self.roles:
            raise HTTPException(403, f"this needs one of the roles: {', '.join(sorted(self.roles))}")
        if "executor" in caller.roles and caller.executor_code is None and caller.roles & self.roles == {"executor"}:
            raise HTTPException(403, "an executor's token must name its executor_code")
        request.state.caller = caller
        return caller

    @staticmethod
    async def _verified(request: Request) -> Caller:
        verifier: Verifier = request.app.state.runtime.verifier
        try:
            return await verifier.verify_async(_bearer(request))
        except Unauthenticated as refused:
            raise _challenge(str(refused)) from None
        except IdentityProviderUnavailable as down:
            raise HTTPException(503, f"{down}; try again shortly",
                                headers={"Retry-After": str(IDP_RETRY_AFTER_S)}) from None


class AuthenticateFirst:
    """ASGI middleware: a route declared with :func:`allow` has its caller verified, and refused
    when not admitted, before the application reads or parses any of the request body (FastAPI
    parses a declared body before it resolves a route's dependencies, so an unauthenticated
    caller's malformed body would otherwise be answered 422, not 401). The verified caller is
    kept in the request's state for the route's own declaration, which checks it again."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._guarded: list[tuple[Any, Access]] | None = None  # (route, its bearer-token declaration)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (access := self._route_access(scope)) is not None:
            request = Request(scope)
            try:
                caller = await access(request)
            except HTTPException as refused:
                response = JSONResponse({"detail": refused.detail}, refused.status_code, headers=refused.headers)
                await response(scope, receive, send)
                return
            request.state.verified_caller = caller
        await self.app(scope, receive, send)

    def _route_access(self, scope: dict[str, Any]) -> Access | None:
        """The bearer-token declaration of the route the request goes to (``None`` for a public,
        a citizen's, a console or an Open311 route, each checked by its own declaration)."""
        from starlette.routing import Match

        if self._guarded is None:  # the app's routes, through included routers, read once
            self._guarded = [(r, a) for r in api_routes(scope["app"].routes)
                             if type(a := declared_access(r.dependant.dependencies)) is Access and a.roles]
        for route, access in self._guarded:
            if route.matches(scope)[0] == Match.FULL:
                return access
        return None


def allow(*roles: str) -> Any:
    """The dependency that admits callers with any of ``roles`` and yields their :class:`Caller`."""
    return Depends(Access(frozenset(roles)))


#: The declaration of a route anyone may call (health probes).
PUBLIC: Any = Depends(Access(frozenset()))
#: The declaration of a citizen's route: the appeal's status token, or the citizen's own bearer
#: token from the city's IdP (role ``citizen``, the subject the appeal's author), checked by the
#: route; a wrong or missing one answers like an unknown appeal. The dependency yields the
#: verified caller when a bearer token came, else ``None``.
CITIZEN: Any = Depends(Access(frozenset(), citizen=True))


def declared_access(dependencies: list[Any]) -> Access | None:
    """The :class:`Access` among a route's resolved dependencies (``route.dependant``)."""
    for dep in dependencies:
        call: Callable[..., Any] | None = getattr(dep, "call", None)
        if isinstance(call, Access):
            return call
        found = declared_access(getattr(dep, "dependencies", []))
        if found is not None:
            return found
    return None


_REFUSAL = {"content": {"application/json": {"schema": {
    "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}}}}


def document_access(routes: list[Any]) -> None:
    """Declare in the OpenAPI document what the access rules answer: 401 and 403 on every
    route that needs a token (``routes`` are the app's API routes)."""
    for route in routes:
        access = declared_access(route.dependant.dependencies)
        if access is not None and access.roles:
            route.responses.setdefault(401, {"description": "No token, or one that does not verify", **_REFUSAL})
            route.responses.setdefault(403, {"description": "The token's roles are not admitted here", **_REFUSAL})


def api_routes(routes: list[Any]) -> list[Any]:
    """An app's API routes, through included routers."""
    from fastapi.routing import APIRoute

    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif (included := getattr(route, "original_router", None)) is not None:
            found += api_routes(included.routes)
    return found
