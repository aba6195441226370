"""Delivery adapters: e-mail over SMTP and SMS through an HTTP gateway.

Each raises :class:`DeliveryError` with a reason that names the provider's status, never
the address or the text. 4xx SMTP replies, timeouts, connection failures and 5xx/429 from
the gateway are temporary (retried); 5xx SMTP replies and other 4xx gateway replies are
permanent.

Both keep their connections open between messages (an SMTP session per connection, HTTP
keep-alive), at most ``connections`` at a time: a surge is sent over a few reused connections,
not a new one per message. A reused connection the provider has closed in the meantime is
normal, not an outage: the message is tried again at once on a fresh connection (what that
means for duplicates: docs/notifications.md, "Connections").
"""

from __future__ import annotations

import asyncio
import json
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate

import aiohttp
import aiosmtplib

from appeals_notification.domain.outgoing import DeliveryError, Outgoing

#: What a pooled connection that went stale raises on its next use.
_STALE_SMTP = (aiosmtplib.SMTPServerDisconnected, ConnectionError)
_STALE_HTTP = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


class SmtpSender:
    channel = "email"

    def __init__(self, *, host: str, port: int, sender: str, username: str | None = None, password: str | None = None,
                 tls: str = "none", timeout_s: float = 10.0, connections: int = 4) -> None:
        if tls not in ("none", "starttls", "tls"):
            raise ValueError("SMTP_TLS must be none, starttls or tls")
        self._host, self._port, self._from = host, port, sender
        self._domain = sender.rpartition("@")[2] or "appeals"
        self._username, self._password = username or None, password or None
        self._tls, self._timeout = tls, timeout_s
        self._connections = connections
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots: asyncio.Semaphore | None = None  # made on first use, inside the worker's loop

    def compose(self, message: Outgoing) -> bytes:
        """The message as it goes on the wire (``email``'s compat32 API: the default policy's
        header parsing costs more than the rest of a delivery)."""
        email = MIMEText(message.body, "plain", "utf-8")
        email["From"] = self._from
        email["To"] = message.address or ""
        email["Subject"] = Header(message.subject, "utf-8").encode()
        email["Date"] = formatdate(localtime=False)
        # A stable id lets a mailbox drop the copy a crash between send and commit may cause.
        email["Message-ID"] = f"<{message.notification_id}@{self._domain}>"
        email["Content-Language"] = message.language
        return email.as_bytes()

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(hostname=self._host, port=self._port, username=self._username,
                                 password=self._password, use_tls=self._tls == "tls",
                                 start_tls=True if self._tls == "starttls" else False, timeout=self._timeout,
                                 local_hostname=self._domain)
        await client.connect()
        return client

    async def send(self, message: Outgoing) -> None:
        if not message.address:
            raise DeliveryError("no e-mail address", permanent=True)
        raw = self.compose(message)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._connections)
        async with self._slots:
            client: aiosmtplib.SMTP | None = self._idle.pop() if self._idle else None
            try:
                if client is not None:
                    try:
                        await client.sendmail(self._from, [message.address], raw)
                    except _STALE_SMTP:
                        client.close()
                        client = None
                if client is None:
                    client = await self._connect()
                    await client.sendmail(self._from, [message.address], raw)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                self._keep(client)
                codes = sorted({r.code for r in exc.recipients})
                raise DeliveryError(f"SMTP recipient refused ({', '.join(map(str, codes))})",
                                    permanent=all(c >= 500 for c in codes)) from None
            except aiosmtplib.SMTPResponseException as exc:
                self._drop(client)
                raise DeliveryError(f"SMTP {exc.code}", permanent=exc.code >= 500) from None
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
                self._drop(client)
                raise DeliveryError(f"SMTP unavailable ({type(exc).__name__})") from None
            except BaseException:
                self._drop(client)
                raise
            self._keep(client)

    def _keep(self, client: aiosmtplib.SMTP | None) -> None:
        if client is not None and client.is_connected:
            self._idle.append(client)

    @staticmethod
    def _drop(client: aiosmtplib.SMTP | None) -> None:
        if client is not None:
            client.close()

    async def close(self) -> None:
        while self._idle:
            client = self._idle.pop()
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError):
                client.close()


class SmsGatewaySender:
    """POSTs ``{"id", "to", "text"}`` as JSON with a bearer token; any 2xx is accepted.

    aiohttp rather than httpx: the profile of a surge had httpx's request machinery as a
    third of notification's CPU."""

    channel = "sms"

    def __init__(self, *, url: str, token: str | None, timeout_s: float = 10.0, connections: int = 8) -> None:
        self._url, self._connections = url, connections
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None  # made on first use, inside the worker's loop

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections), headers=self._headers,
                timeout=self._timeout, json_serialize=json.dumps)
        return self._session

    async def _post(self, body: dict[str, str]) -> int:
        async with self._client().post(self._url, json=body) as response:
            await response.read()
            return response.status

    async def send(self, message: Outgoing) -> None:
        if not self._url:
            raise DeliveryError("no SMS gateway configured (SMS_GATEWAY_URL)")
        if not message.address:
            raise DeliveryError("no phone number", permanent=True)
        body = {"id": str(message.notification_id), "to": message.address, "text": "\n".join(p for p in (message.subject, message.body) if p)}
        try:
            try:
                status = await self._post(body)
            except _STALE_HTTP:
                # Most often a keep-alive connection the gateway closed while it was idle; if the
                # gateway did take the message, the repeat carries the same id and it drops it.
                status = await self._post(body)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise DeliveryError(f"SMS gateway unavailable ({type(exc).__name__})") from None
        if 200 <= status < 300:
            return
        raise DeliveryError(f"SMS gateway HTTP {status}", permanent=400 <= status < 500 and status not in (408, 429))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
