"""Open311 clients and their API keys (``OPEN311_CLIENTS_FILE``).

Each client is an adapter identity: its submissions come through channel ``open311`` with
channel message ids ``<client>:<request key>``. The file keeps only each key's SHA-256, so a
leaked file gives nobody a key::

    clients:
      - client: fixmystreet-almaty
        api_key_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

_CLIENT = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class ClientsFileError(ValueError):
    """The clients file cannot be used; the message names the file and the entry."""


class Open311Clients:
    def __init__(self, digests: dict[str, str] | None = None) -> None:
        self._by_digest = dict(digests or {})  # SHA-256 hex of the key → client

    @classmethod
    def from_file(cls, path: str | None) -> Open311Clients:
        """Clients from ``path``; without a file no key is accepted (reads stay open)."""
        if not path:
            return cls()
        try:
            raw = yaml.safe_load(Path(path).read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ClientsFileError(f"OPEN311_CLIENTS_FILE {path}: {type(exc).__name__}") from None
        digests: dict[str, str] = {}
        for i, entry in enumerate(raw.get("clients") or []):
            client, digest = str(entry.get("client", "")), str(entry.get("api_key_sha256", "")).lower()
            if not _CLIENT.match(client):
                raise ClientsFileError(f"OPEN311_CLIENTS_FILE {path}: entry {i}: client must be a lower-case name")
            if not _DIGEST.match(digest):
                raise ClientsFileError(f"OPEN311_CLIENTS_FILE {path}: entry {i} ({client}): api_key_sha256 must be "
                                       "64 hex digits")
            if digest in digests:
                raise ClientsFileError(f"OPEN311_CLIENTS_FILE {path}: {client} repeats another client's key")
            digests[digest] = client
        return cls(digests)

    def client(self, api_key: str) -> str | None:
        """The client whose key this is, or ``None``."""
        if not api_key or len(api_key) > 200:
            return None
        return self._by_digest.get(hashlib.sha256(api_key.encode()).hexdigest())
