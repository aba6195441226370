"""Intake's attachments API under the adapter's own token (the client credentials grant, role
``adapter``): a letter's photos and PDFs are uploaded before the letter is published."""

from __future__ import annotations

from appeals_runtime.http_client import PlatformClient, Unavailable
from appeals_runtime.oidc import ServiceAccount


class Attachments(PlatformClient):
    def __init__(self, *, intake_url: str, account: ServiceAccount, timeout_s: float = 30.0) -> None:
        super().__init__(account=account, timeout_s=timeout_s)
        self._intake = intake_url.rstrip("/")

    async def upload(self, data: bytes, content_type: str) -> str | None:
        """The attachment's id, or None when intake refused the file (too large, not what it says)."""
        reply = await self._call("POST", f"{self._intake}/v1/attachments", route="/v1/attachments", bearer=None,
                                 own=True, content=data, headers={"Content-Type": content_type})
        if reply.status_code == 201:
            return str(reply.json()["attachment_id"])
        if reply.status_code in (401, 403, 429):
            raise Unavailable(f"intake refused the adapter's upload: HTTP {reply.status_code}")
        return None

    async def ready(self) -> bool:
        return await self.live(self._intake)
