"""The platform's HTTP APIs as the workspace uses them, always with the signed-in employee's own
token, so each service decides again what that employee may see: routing (the queue, the
case, the employees, taking and giving an appeal, what became of an action), intake (photos)
and inspection (merging a linked duplicate)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote
from uuid import UUID

from appeals_runtime.http_client import PlatformClient, Unavailable, detail


@dataclass(frozen=True)
class Refused:
    """A service said no: its status and its reason, in its words (shown translated where known)."""

    status: int
    reason: str


class SignedOut(Exception):
    """The employee's token no longer verifies (401): they sign in again."""


class Platform(PlatformClient):
    def __init__(self, *, routing_url: str, intake_url: str, inspection_url: str, timeout_s: float = 15.0) -> None:
        super().__init__(timeout_s=timeout_s)
        self._routing = routing_url.rstrip("/")
        self._intake = intake_url.rstrip("/")
        self._inspection = inspection_url.rstrip("/")

    def _executor(self, code: str) -> str:
        return f"{self._routing}/v1/executors/{quote(code, safe='')}"

    async def _json(self, method: str, url: str, *, bearer: str, route: str, **kwargs: Any) -> Any:
        reply = await self._call(method, url, bearer=bearer, route=route, **kwargs)
        if reply.status_code == 401:
            raise SignedOut()
        if reply.status_code in (200, 201):
            return reply.json()
        if reply.status_code == 404:
            return None
        return Refused(reply.status_code, detail(reply))

    async def employee_seen(self, code: str, *, bearer: str) -> None:
        found = await self._json("POST", f"{self._executor(code)}/employees/me", bearer=bearer,
                                 route="/v1/executors/{code}/employees/me")
        if isinstance(found, Refused) or found is None:
            raise Unavailable(f"routing did not take the employee: {getattr(found, 'status', 404)}")

    async def employees(self, code: str, *, bearer: str) -> list[dict[str, Any]]:
        found = await self._json("GET", f"{self._executor(code)}/employees", bearer=bearer,
                                 route="/v1/executors/{code}/employees")
        return found if isinstance(found, list) else []

    async def queue(self, code: str, *, bearer: str, filters: dict[str, str], page: int,
                    size: int) -> dict[str, Any]:
        params = {k: v for k, v in filters.items() if v is not None}
        found = await self._json("GET", f"{self._executor(code)}/queue", bearer=bearer,
                                 route="/v1/executors/{code}/queue", params={**params, "page": page, "size": size})
        if not isinstance(found, dict):
            raise Unavailable(f"routing's queue: {found}")
        return found

    async def case(self, code: str, appeal_id: UUID, *, bearer: str) -> dict[str, Any] | None:
        """The case, or None when the executor does not hold it (or it does not exist)."""
        found = await self._json("GET", f"{self._executor(code)}/appeals/{appeal_id}", bearer=bearer,
                                 route="/v1/executors/{code}/appeals/{appeal_id}")
        return found if isinstance(found, dict) else None

    async def set_assignee(self, code: str, appeal_id: UUID, employee_id: str, *, bearer: str) -> Refused | None:
        found = await self._json("PUT", f"{self._executor(code)}/appeals/{appeal_id}/assignee", bearer=bearer,
                                 route="/v1/executors/{code}/appeals/{appeal_id}/assignee",
                                 json={"employee_id": employee_id})
        if found is None:
            return Refused(404, "not found")
        return found if isinstance(found, Refused) else None

    async def outcome(self, code: str, appeal_id: UUID, action_id: UUID, *, bearer: str) -> dict[str, Any]:
        found = await self._json("GET", f"{self._executor(code)}/appeals/{appeal_id}/actions/{action_id}",
                                 bearer=bearer, route="/v1/executors/{code}/appeals/{appeal_id}/actions/{action_id}")
        return found if isinstance(found, dict) else {"state": "pending"}

    async def upload(self, data: bytes, content_type: str, *, bearer: str) -> dict[str, Any] | Refused:
        reply = await self._call("POST", f"{self._intake}/v1/attachments", route="/v1/attachments", bearer=bearer,
                                 content=data, headers={"Content-Type": content_type})
        if reply.status_code == 401:
            raise SignedOut()
        if reply.status_code == 201:
            return reply.json()
        return Refused(reply.status_code, detail(reply))

    async def photo(self, attachment_id: UUID, *, bearer: str) -> tuple[bytes, str] | None:
        """A photo of an appeal the employee's executor holds, or None (intake decides)."""
        reply = await self._call("GET", f"{self._intake}/v1/attachments/{attachment_id}",
                                 route="/v1/attachments/{attachment_id}", bearer=bearer)
        if reply.status_code == 401:
            raise SignedOut()
        if reply.status_code != 200:
            return None
        return reply.content, reply.headers.get("content-type", "application/octet-stream")

    async def merge(self, duplicate_id: UUID, into: UUID, *, bearer: str) -> Refused | None:
        found = await self._json("POST", f"{self._inspection}/v1/appeals/{duplicate_id}/merge", bearer=bearer,
                                 route="/v1/appeals/{appeal_id}/merge", json={"into": str(into)})
        if found is None:
            return Refused(404, "not found")
        return found if isinstance(found, Refused) else None

    async def scorecard(self, code: str, first: date, last: date, *, bearer: str) -> dict[str, Any]:
        """The executor's card with its employees' figures (for its head), from inspection."""
        found = await self._json("GET", f"{self._inspection}/v1/executors/{quote(code, safe='')}/scorecard",
                                 bearer=bearer, route="/v1/executors/{code}/scorecard",
                                 params={"from": first.isoformat(), "to": last.isoformat()})
        return found if isinstance(found, dict) else {"employees": []}

    async def ready(self) -> bool:
        """Routing answers (the workspace can show nothing without it)."""
        return await self.live(self._routing)
