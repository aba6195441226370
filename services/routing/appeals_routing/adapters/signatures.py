"""Executors' public keys and the check of a signed action (see appeals_contracts.signing)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from appeals_contracts.signing import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    SIGNED_ATTRIBUTES,
    UnsignableAction,
    signed_message,
)

#: How far ahead of routing's clock a signed action's time may be (clock drift).
FUTURE_TOLERANCE = timedelta(minutes=5)


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

    def problem(self, executor_code: str, headers: Mapping[str, bytes], value: bytes, *, now: datetime,
                max_age: timedelta) -> str | None:
        """Why the action is not ``executor_code``'s own and fresh, or ``None`` when its signature
        verifies over the envelope and the value and its time is within ``max_age`` of ``now``."""
        keys = self._keys.get(executor_code)
        if not keys:
            return f"no signing key is registered for executor {executor_code!r}"
        signature, key_id = headers.get(SIGNATURE_HEADER), headers.get(KEY_ID_HEADER)
        if not signature:
            return "the action is not signed"
        try:
            raw = base64.urlsafe_b64decode(signature + b"=" * (-len(signature) % 4))
        except ValueError:
            return "the action's signature is not base64url"
        attributes = {name: headers[name].decode("utf-8", "replace") for name in SIGNED_ATTRIBUTES if headers.get(name)}
        try:
            message = signed_message(attributes, value)
        except UnsignableAction as missing:
            return str(missing)
        kid = key_id.decode("utf-8", "replace") if key_id else None
        candidates = [keys[kid]] if kid is not None and kid in keys else list(keys.values())
        if not any(_verifies(key, raw, message) for key in candidates):
            return f"the signature does not verify with a key of executor {executor_code!r}"
        return _stale(attributes["ce_time"], now, max_age)


def _verifies(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _stale(signed_time: str, now: datetime, max_age: timedelta) -> str | None:
    """Why a signed action's own time makes it unusable: too old (a replay) or ahead of the clock."""
    try:
        at = datetime.fromisoformat(signed_time)
    except ValueError:
        return "the action's ce_time is not an ISO 8601 time"
    if at.tzinfo is None:
        return "the action's ce_time has no UTC offset"
    if at < now - max_age:
        return (f"the signed action is older than {int(max_age.total_seconds())} s (signed {at.isoformat()}): "
                f"a portal signs each action when it sends it")
    if at > now + FUTURE_TOLERANCE:
        return f"the signed action's time {at.isoformat()} is ahead of the platform's clock"
    return None
