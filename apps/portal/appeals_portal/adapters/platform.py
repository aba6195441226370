"""The platform's public interfaces as the portal uses them: intake's HTTP API (photos,
submissions, a citizen's status and verdict, a signed-in citizen's appeals, Open311's public
requests) and inspection's public figures.

Who calls: a signed-in citizen's own bearer token, so intake knows the author; otherwise the
portal's own token (the client credentials grant, role ``adapter``) for submissions and
photos, and the appeal's status token for its status and verdict. The trace goes along
(``traceparent``); nothing the citizen wrote is logged here."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from appeals_runtime.http_client import PlatformClient, Unavailable, reasons
from appeals_runtime.oidc import ServiceAccount
from appeals_portal.handlers import Refused, Registered

log = logging.getLogger(__name__)


class Platform(PlatformClient):
    """One HTTP client for the portal's life; every call times out."""

    def __init__(self, *, intake_url: str, inspection_url: str, account: ServiceAccount,
                 timeout_s: float = 15.0) -> None:
        super().__init__(account=account, timeout_s=timeout_s)
        self._intake = intake_url.rstrip("/")
        self._inspection = inspection_url.rstrip("/")

    async def upload(self, data: bytes, content_type: str, *, bearer: str | None) -> str | Refused:
        reply = await self._call("POST", f"{self._intake}/v1/attachments", route="/v1/attachments", bearer=bearer, own=bearer is None,
                                 content=data, headers={"Content-Type": content_type})
        if reply.status_code == 201:
            return str(reply.json()["attachment_id"])
        return Refused(reply.status_code, reasons(reply))

    async def submit(self, body: dict[str, Any], *, bearer: str | None) -> Registered | Refused:
        reply = await self._call("POST", f"{self._intake}/v1/appeals", route="/v1/appeals", bearer=bearer, own=bearer is None, json=body)
        if reply.status_code in (200, 201):
            made = reply.json()
            return Registered(made["registration_number"], made["status_token"], reply.status_code == 200)
        if reply.status_code in (401, 403):
            raise Unavailable(f"intake refused the portal's credentials: HTTP {reply.status_code}")
        return Refused(reply.status_code, reasons(reply))

    async def status(self, number: str, *, token: str = "", bearer: str | None = None) -> dict[str, Any] | None:
        """The citizen's view, or None for an unknown number or a wrong token (the same answer)."""
        reply = await self._call("GET", f"{self._intake}/v1/status/{quote(number, safe='')}", route="/v1/status/{number}",
                                 bearer=bearer,
                                 params={"token": token} if token else None)
        if reply.status_code == 200:
            return reply.json()
        if reply.status_code in (401, 404, 422):
            return None
        raise Unavailable(f"status: HTTP {reply.status_code}")

    async def verdict(self, number: str, *, resolved: bool, rating: int | None, comment: str | None = None,
                      token: str = "", bearer: str | None = None) -> Refused | None:
        reply = await self._call("POST", f"{self._intake}/v1/status/{quote(number, safe='')}/verdict",
                                 route="/v1/status/{number}/verdict", bearer=bearer,
                                 params={"token": token} if token else None,
                                 json={"resolved": resolved, "rating": rating, "comment": comment})
        return None if reply.status_code == 201 else Refused(reply.status_code, reasons(reply))

    async def my_appeals(self, *, bearer: str) -> list[dict[str, Any]] | None:
        """The signed-in citizen's appeals, or None when the token no longer verifies."""
        reply = await self._call("GET", f"{self._intake}/v1/my/appeals", route="/v1/my/appeals", bearer=bearer)
        return reply.json() if reply.status_code == 200 else None

    async def recent(self, *, language: str, category: str | None) -> list[dict[str, Any]]:
        """Open311's public requests of the last week (no text, no place, nobody's data)."""
        params = {"locale": language, **({"service_code": category} if category else {})}
        reply = await self._call("GET", f"{self._intake}/open311/v2/requests.json", route="/open311/v2/requests.json",
                                 bearer=None, params=params)
        body = reply.json() if reply.status_code == 200 else []
        return body if isinstance(body, list) else []

    async def week(self, week: str) -> dict[str, Any] | None:
        reply = await self._call("GET", f"{self._inspection}/v1/public/weekly/{quote(week)}", route="/v1/public/weekly/{week}",
                                 bearer=None)
        return reply.json() if reply.status_code == 200 else None

    async def ready(self) -> bool:
        """Intake answers (the portal can do nothing without it)."""
        return await self.live(self._intake)
