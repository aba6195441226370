"""Letters the adapter sends in a thread: over SMTP (aiosmtplib), each with a Message-ID made
from what it answers, so a letter sent again after a crash is recognisably the same letter."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import aiosmtplib

from appeals_mail.handlers import Reply


class SendFailed(Exception):
    """The SMTP server did not take the letter (the reason names no person)."""


class Smtp:
    def __init__(self, *, host: str, port: int, username: str | None, password: str | None, tls: str,
                 sender: str, timeout_s: float = 15.0) -> None:
        self._options: dict[str, Any] = dict(hostname=host, port=port, username=username or None, password=password or None,
                             use_tls=tls == "tls", start_tls=True if tls == "starttls" else False,
                             timeout=timeout_s)
        self.sender = sender

    async def send(self, reply: Reply) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = reply.to
        message["Subject"] = reply.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = reply.message_id
        message["In-Reply-To"] = reply.in_reply_to
        message["References"] = " ".join(reply.references)
        message["Auto-Submitted"] = "auto-replied"
        message["X-Appeals-Template"] = reply.template
        message.set_content(reply.body)
        message["Content-Language"] = reply.language  # after the content: setting it clears Content-*
        try:
            await aiosmtplib.send(message, **self._options)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(type(exc).__name__) from None
