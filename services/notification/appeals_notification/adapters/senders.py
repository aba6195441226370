"""Delivery adapters: e-mail over SMTP and SMS through an HTTP gateway.

Each raises :class:`DeliveryError` with a reason that names the provider's status, never
the address or the text. 4xx SMTP replies, timeouts, connection failures and 5xx/429 from
the gateway are temporary (retried); 5xx SMTP replies and other 4xx gateway replies are
permanent.
"""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
import httpx

from appeals_notification.domain.outgoing import DeliveryError, Outgoing


class SmtpSender:
    channel = "email"

    def __init__(self, *, host: str, port: int, sender: str, username: str | None = None, password: str | None = None,
                 tls: str = "none", timeout_s: float = 10.0) -> None:
        if tls not in ("none", "starttls", "tls"):
            raise ValueError("SMTP_TLS must be none, starttls or tls")
        self._host, self._port, self._from = host, port, sender
        self._username, self._password = username or None, password or None
        self._tls, self._timeout = tls, timeout_s

    def compose(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._from
        email["To"] = message.address or ""
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        # A stable id lets a mailbox drop the copy a crash between send and commit may cause.
        email["Message-ID"] = f"<{message.notification_id}@{self._from.rpartition('@')[2] or 'appeals'}>"
        email.set_content(message.body)
        email["Content-Language"] = message.language  # after set_content, which resets Content-* headers
        return email

    async def send(self, message: Outgoing) -> None:
        if not message.address:
            raise DeliveryError("no e-mail address", permanent=True)
        try:
            await aiosmtplib.send(self.compose(message), hostname=self._host, port=self._port,
                                  username=self._username, password=self._password, use_tls=self._tls == "tls",
                                  start_tls=True if self._tls == "starttls" else False, timeout=self._timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({r.code for r in exc.recipients})
            raise DeliveryError(f"SMTP recipient refused ({', '.join(map(str, codes))})",
                                permanent=all(c >= 500 for c in codes)) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.code}", permanent=exc.code >= 500) from None
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            raise DeliveryError(f"SMTP unavailable ({type(exc).__name__})") from None


class SmsGatewaySender:
    """POSTs ``{"id", "to", "text"}`` as JSON with a bearer token; any 2xx is accepted."""

    channel = "sms"

    def __init__(self, *, url: str, token: str | None, timeout_s: float = 10.0) -> None:
        self._url = url
        self._client = httpx.AsyncClient(timeout=timeout_s,
                                         headers={"Authorization": f"Bearer {token}"} if token else {})

    async def send(self, message: Outgoing) -> None:
        if not self._url:
            raise DeliveryError("no SMS gateway configured (SMS_GATEWAY_URL)")
        if not message.address:
            raise DeliveryError("no phone number", permanent=True)
        try:
            response = await self._client.post(self._url, json={
                "id": str(message.notification_id), "to": message.address,
                "text": f"{message.subject}\n{message.body}"})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"SMS gateway unavailable ({type(exc).__name__})") from None
        if response.is_success:
            return
        status = response.status_code
        raise DeliveryError(f"SMS gateway HTTP {status}", permanent=400 <= status < 500 and status not in (408, 429))

    async def close(self) -> None:
        await self._client.aclose()
