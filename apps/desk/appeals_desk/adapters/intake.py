"""Intake's HTTP API as the desk uses it, always with the signed-in operator's own token: intake
takes the operator's identity from it (who registered, who answered a consultation, who linked
a re-appeal) and decides again what the operator may see. What a caller said travels in
request bodies only, never in a URL, a log line or a span."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from appeals_contracts.prepared_answers import PreparedAnswer
from appeals_runtime.http_client import PlatformClient, Unavailable, reasons
from appeals_desk.handlers import Refused, Registered


class SignedOut(Exception):
    """The operator's token no longer verifies (401): they sign in again."""


class Intake(PlatformClient):
    def __init__(self, *, intake_url: str, timeout_s: float = 15.0) -> None:
        super().__init__(timeout_s=timeout_s)
        self._intake = intake_url.rstrip("/")

    async def _post(self, path: str, *, bearer: str, route: str, body: dict[str, Any]) -> httpx.Response:
        reply = await self._call("POST", f"{self._intake}{path}", bearer=bearer, route=route, json=body)
        if reply.status_code == 401:
            raise SignedOut()
        if reply.status_code == 403:
            raise Unavailable("intake refused the operator's token: HTTP 403")
        return reply

    async def check(self, body: dict[str, Any], *, bearer: str) -> list[dict[str, str]]:
        """Every reason intake would refuse the submission (empty: it would register it)."""
        reply = await self._post("/v1/appeals/check", bearer=bearer, route="/v1/appeals/check", body=body)
        if reply.status_code == 200:
            return [r for r in reply.json().get("reasons", []) if isinstance(r, dict)]
        return reasons(reply)

    async def submit(self, body: dict[str, Any], *, bearer: str) -> Registered | Refused:
        reply = await self._post("/v1/appeals", bearer=bearer, route="/v1/appeals", body=body)
        if reply.status_code in (200, 201):
            return Registered(reply.json()["registration_number"], reply.status_code == 200)
        return Refused(reply.status_code, reasons(reply))

    async def caller_appeals(self, contact: dict[str, str | None], *, bearer: str) -> list[dict[str, Any]] | Refused:
        reply = await self._post("/v1/callers/appeals", bearer=bearer, route="/v1/callers/appeals", body=contact)
        if reply.status_code == 200:
            return list(reply.json())
        return Refused(reply.status_code, reasons(reply))

    async def caller_status(self, number: str, contact: dict[str, str | None], *,
                            bearer: str) -> dict[str, Any] | Refused | None:
        """The status, ``None`` for an unknown number or an unconfirmed caller (one answer)."""
        reply = await self._post("/v1/callers/status", bearer=bearer, route="/v1/callers/status",
                                 body={"registration_number": number, **contact})
        if reply.status_code == 200:
            return dict(reply.json())
        if reply.status_code == 404:
            return None
        return Refused(reply.status_code, reasons(reply))

    async def prepared_answers(self, *, bearer: str) -> dict[str, PreparedAnswer]:
        """The prepared answers offered now (retired ones left out), by code, as staff keep them."""
        reply = await self._call("GET", f"{self._intake}/v1/prepared-answers", bearer=bearer,
                                 route="/v1/prepared-answers")
        if reply.status_code == 401:
            raise SignedOut()
        if reply.status_code != 200:
            raise Unavailable(f"intake's prepared answers: HTTP {reply.status_code}")
        found = [PreparedAnswer(a["code"], a["topic"], a["title"], a["text"], a.get("active", True))
                 for a in reply.json() if isinstance(a, dict)]
        return {a.code: a for a in found if a.active}

    async def status(self, number: str, *, bearer: str) -> dict[str, Any] | None:
        """An appeal the operator just registered, as staff see it (None: unknown)."""
        reply = await self._call("GET", f"{self._intake}/v1/appeals/{quote(number, safe='')}", bearer=bearer,
                                 route="/v1/appeals/{number}")
        if reply.status_code == 401:
            raise SignedOut()
        if reply.status_code == 200:
            return dict(reply.json())
        if reply.status_code == 404:
            return None
        raise Unavailable(f"intake's status: HTTP {reply.status_code}")

    async def ready(self) -> bool:
        return await self.live(self._intake)
