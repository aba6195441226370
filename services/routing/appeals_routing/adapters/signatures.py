"""Executors' public keys and the check of a signed action (see appeals_contracts.signing)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from appeals_contracts.signing import KEY_ID_HEADER, SIGNATURE_HEADER, signed_message


class KeyFileError(ValueError):
    """The executor key file cannot be used; the start stops with this reason."""


class ExecutorKeys:
    """Each executor's public keys by key id (several while a portal rotates its key)."""

    def __init__(self, keys: Mapping[str, Mapping[str, Ed25519PublicKey]]) -> None:
        self._keys = keys

    @classmethod
    def from_file(cls, path: Path | None) -> ExecutorKeys:
        """Keys from ``EXECUTOR_KEYS_FILE``; without one no executor can act (all refused)."""
        if path is None:
            return cls({})
        try:
            data = yaml.safe_load(path.read_text("utf-8")) or {}
            keys: dict[str, dict[str, Ed25519PublicKey]] = {}
            for code, entries in (data.get("executors") or {}).items():
                for entry in entries:
                    key = serialization.load_pem_public_key(entry["public_key"].encode())
                    if not isinstance(key, Ed25519PublicKey):
                        raise KeyFileError(f"{code}: keys must be Ed25519")
                    keys.setdefault(str(code), {})[str(entry["kid"])] = key
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise KeyFileError(f"EXECUTOR_KEYS_FILE {path}: {type(exc).__name__}: {exc}") from None
        return cls(keys)

    def problem(self, executor_code: str, headers: Mapping[str, bytes], value: bytes) -> str | None:
        """Why the action is not ``executor_code``'s own, or ``None`` when its signature verifies."""
        keys = self._keys.get(executor_code)
        if not keys:
            return f"no signing key is registered for executor {executor_code!r}"
        signature, key_id, event_id = (headers.get(SIGNATURE_HEADER), headers.get(KEY_ID_HEADER),
                                       headers.get("ce_id"))
        if not signature or not event_id:
            return "the action is not signed"
        try:
            raw = base64.urlsafe_b64decode(signature + b"=" * (-len(signature) % 4))
        except ValueError:
            return "the action's signature is not base64url"
        kid = key_id.decode("utf-8", "replace") if key_id else None
        candidates = [keys[kid]] if kid in keys else list(keys.values())
        message = signed_message(event_id.decode("utf-8", "replace"), value)
        for key in candidates:
            try:
                key.verify(raw, message)
                return None
            except InvalidSignature:
                continue
        return f"the signature does not verify with a key of executor {executor_code!r}"
