"""The city's appeals mailbox over IMAP (RFC 3501 with MOVE, RFC 6851), through the standard
library's client in a worker thread: a connection per call, so an outage costs one failed call
and the next one connects again. Letters are never deleted: they move from INBOX to the folder
of what became of them (registered; incomplete, until a reply completes them)."""

from __future__ import annotations

import asyncio
import imaplib
import re
from collections.abc import Callable
from typing import TypeVar

from appeals_mail.handlers import Waiting

T = TypeVar("T")


class MailboxDown(Exception):
    """The mailbox could not be reached or refused a command (the reason names no letter)."""


_ITEM = re.compile(rb"UID (\d+)|RFC822\.SIZE (\d+)|FLAGS \(([^)]*)\)")


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mailbox:
    def __init__(self, *, host: str, port: int, user: str, password: str, tls: bool, timeout_s: float = 20.0,
                 registered: str = "Registered", incomplete: str = "Incomplete") -> None:
        self._host, self._port, self._user, self._password = host, port, user, password
        self._tls, self._timeout = tls, timeout_s
        self.registered, self.incomplete = registered, incomplete

    def _open(self, folder: str) -> imaplib.IMAP4:
        client = (imaplib.IMAP4_SSL if self._tls else imaplib.IMAP4)(self._host, self._port, timeout=self._timeout)
        client.login(self._user, self._password)
        status, _ = client.select(_quoted(folder))
        if status != "OK":
            client.logout()
            raise MailboxDown(f"cannot select {folder}")
        return client

    async def _run(self, folder: str, work: Callable[[imaplib.IMAP4], T]) -> T:
        def call() -> T:
            try:
                client = self._open(folder)
            except (OSError, imaplib.IMAP4.error) as exc:
                raise MailboxDown(f"{type(exc).__name__}: {exc}") from None
            try:
                return work(client)
            except (OSError, imaplib.IMAP4.error) as exc:
                raise MailboxDown(f"{type(exc).__name__}: {exc}") from None
            finally:
                try:
                    client.logout()
                except (OSError, imaplib.IMAP4.error):
                    pass
        return await asyncio.to_thread(call)

    async def prepare(self) -> None:
        """The folders letters move to exist (creating one that exists is no error)."""
        def work(client: imaplib.IMAP4) -> None:
            for folder in (self.registered, self.incomplete):
                client.create(_quoted(folder))
        await self._run("INBOX", work)

    async def waiting(self) -> list[Waiting]:
        """The INBOX's letters, oldest first, with their sizes and flags."""
        def work(client: imaplib.IMAP4) -> list[Waiting]:
            status, data = client.uid("FETCH", "1:*", "(UID RFC822.SIZE FLAGS)")
            found = []
            for line in data if status == "OK" else []:
                raw = line[0] if isinstance(line, tuple) else line
                if not isinstance(raw, bytes) or b"UID" not in raw:
                    continue
                uid = size = None
                flags: frozenset[str] = frozenset()
                for m in _ITEM.finditer(raw):
                    if m.group(1):
                        uid = m.group(1).decode()
                    elif m.group(2):
                        size = int(m.group(2))
                    else:
                        flags = frozenset(m.group(3).decode().split())
                if uid is not None and size is not None:
                    found.append(Waiting(uid, size, flags))
            return sorted(found, key=lambda w: int(w.uid))
        return await self._run("INBOX", work)

    async def fetch(self, uid: str, folder: str = "INBOX", *, headers_only: bool = False) -> bytes | None:
        """The letter's bytes (only its header with ``headers_only``), not marking it seen."""
        def work(client: imaplib.IMAP4) -> bytes | None:
            status, data = client.uid("FETCH", uid, "(BODY.PEEK[HEADER])" if headers_only else "(BODY.PEEK[])")
            for part in data if status == "OK" else []:
                if isinstance(part, tuple):
                    return bytes(part[1])
            return None
        return await self._run(folder, work)

    async def find(self, message_id: str, folders: tuple[str, ...] | None = None) -> tuple[str, str] | None:
        """(folder, uid) of the letter with this Message-ID, looked for in INBOX and the adapter's folders."""
        for folder in folders or ("INBOX", self.registered, self.incomplete):
            def work(client: imaplib.IMAP4) -> str | None:
                status, data = client.uid("SEARCH", "HEADER", "Message-ID", _quoted(message_id))
                uids = data[0].split() if status == "OK" and data and data[0] else []
                return uids[-1].decode() if uids else None
            if (uid := await self._run(folder, work)) is not None:
                return folder, uid
        return None

    async def move(self, uid: str, folder: str, *, source: str = "INBOX") -> None:
        def work(client: imaplib.IMAP4) -> None:
            status, data = client.uid("MOVE", uid, _quoted(folder))
            if status != "OK":
                raise MailboxDown(f"MOVE refused: {data!r}"[:200])
        await self._run(source, work)

    async def flag(self, uid: str, keyword: str, folder: str = "INBOX") -> None:
        def work(client: imaplib.IMAP4) -> None:
            client.uid("STORE", uid, "+FLAGS", f"({keyword})")
        await self._run(folder, work)
