"""How the people's applications call the platform's HTTP APIs: one client per application's
life, every call in a span named by its route's template (never a number or a token), the
trace passed on, a bearer token (the person's own, or the application's through the client
credentials grant), and a fault (no answer, 5xx) raised as :class:`Unavailable`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from opentelemetry.propagate import inject

from appeals_runtime.oidc import ServiceAccount, SignInFailed
from appeals_runtime.telemetry import tracer


class Unavailable(Exception):
    """A service of the platform did not answer, or answered with a fault (5xx); the reason is
    for the log and never carries what a person sent."""


def headers_for(bearer: str | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    headers = {"Accept": "application/json", **(extra or {})}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    inject(headers)
    return headers


def detail(reply: httpx.Response) -> str:
    """The reason a service gave (its ``detail``), or the status."""
    try:
        body = reply.json()
    except ValueError:
        return f"HTTP {reply.status_code}"
    value = body.get("detail") if isinstance(body, dict) else None
    return value if isinstance(value, str) else f"HTTP {reply.status_code}"


def reasons(reply: httpx.Response) -> list[dict[str, str]]:
    """A refusal's reasons (``field``, ``message``) as intake gives them, or its detail as one
    reason for no field."""
    try:
        body = reply.json()
    except ValueError:
        return [{"field": "", "message": f"HTTP {reply.status_code}"}]
    if isinstance(body, dict) and isinstance(body.get("reasons"), list):
        return [r for r in body["reasons"] if isinstance(r, dict)]
    return [{"field": "", "message": detail(reply)}]


class PlatformClient:
    """The HTTP client; ``account``: the application's own service account, if it has one."""

    def __init__(self, *, account: ServiceAccount | None = None, timeout_s: float = 15.0) -> None:
        self._account = account
        self._http = httpx.AsyncClient(timeout=timeout_s)

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, url: str, *, bearer: str | None, own: bool = False, route: str,
                    **kwargs: Any) -> httpx.Response:
        """One request in a span named by its ``route``; ``own``: with the application's token
        (fetched again once if refused)."""
        with tracer().start_as_current_span(f"{method} {route}", attributes={"http.route": route}) as span:
            reply = await self._request(method, url, bearer=bearer, own=own, **kwargs)
            span.set_attribute("http.status_code", reply.status_code)
            return reply

    async def _request(self, method: str, url: str, *, bearer: str | None, own: bool, **kwargs: Any) -> httpx.Response:
        for attempt in (1, 2):
            try:
                token = await self._account.token() if own and self._account else bearer
                reply = await self._http.request(method, url, headers=headers_for(token, kwargs.pop("headers", None)),
                                                 **kwargs)
            except SignInFailed as failed:
                raise Unavailable(f"the application's own token: {failed}") from None
            except httpx.HTTPError as exc:
                raise Unavailable(f"{method} {urlsplit(url).netloc}: {type(exc).__name__}") from None
            if own and self._account and reply.status_code == 401 and attempt == 1:
                self._account.forget()
                continue
            if reply.status_code >= 500:
                raise Unavailable(f"{method} {urlsplit(url).netloc}: HTTP {reply.status_code}")
            return reply
        raise AssertionError("unreachable")

    async def live(self, base_url: str) -> bool:
        """The service at ``base_url`` answers its liveness probe."""
        try:
            reply = await self._http.get(f"{base_url}/health/live", timeout=2.0)
        except httpx.HTTPError:
            return False
        return reply.status_code == 200
