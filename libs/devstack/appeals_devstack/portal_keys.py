"""Executor portals' signing keys for the embedded stack: one Ed25519 key pair per executor
under ``<state>/portal-keys/``, the public halves in ``executor-keys.yaml`` for routing
(``EXECUTOR_KEYS_FILE``). Demo, tests and the README's portal use them to sign actions."""

from __future__ import annotations

from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from appeals_contracts.envelope import Envelope
from appeals_contracts.reference import load_reference
from appeals_contracts.signing import signed_action


class PortalKeys:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def ensure(self) -> Path:
        """A key pair for every executor of the reference data; returns the public key file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        public = {}
        for code in sorted(load_reference().executors.codes):
            key = self._key(code)
            pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            public[code] = [{"kid": f"{code}-1", "public_key": pem}]
        path = self.directory / "executor-keys.yaml"
        path.write_text(yaml.safe_dump({"executors": public}, sort_keys=True), "utf-8")
        return path

    def _key(self, code: str) -> Ed25519PrivateKey:
        path = self.directory / f"{code}.pem"
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            path.chmod(0o600)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return key

    def signed_record(self, executor_code: str, envelope: Envelope, key: str) -> tuple[bytes, bytes, list]:
        """(key, value, headers) of an action as ``executor_code``'s portal publishes it."""
        value, headers = signed_action(envelope, self._key(executor_code).sign, f"{executor_code}-1")
        return key.encode(), value, headers
