"""Executor actions as the workspace publishes them: each signed with the key of the employee's
organisation (Ed25519, see :mod:`appeals_contracts.signing`) and produced to
``appeals.executor-actions.v1`` with ``acks=all`` under the workspace's own Kafka principal.
Routing checks the signature, the holder and the time, and decides."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from appeals_contracts.base import Event
from appeals_contracts.envelope import Envelope
from appeals_contracts.signing import signed_action
from appeals_runtime.http_client import Unavailable
from appeals_runtime.publisher import KafkaPublisher, Record

TOPIC = "appeals.executor-actions.v1"


class SigningKeys:
    """The organisations' private keys: ``<executor_code>.pem`` in one folder, each with its key
    id (``<executor_code>.kid`` beside it, else ``<executor_code>-1``)."""

    def __init__(self, directory: Path) -> None:
        self._keys: dict[str, tuple[Ed25519PrivateKey, str]] = {}
        for path in sorted(directory.glob("*.pem")):
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError(f"{path.name} is not an Ed25519 private key")
            kid_file = path.with_suffix(".kid")
            kid = kid_file.read_text("utf-8").strip() if kid_file.exists() else f"{path.stem}-1"
            self._keys[path.stem] = (key, kid)
        if not self._keys:
            raise ValueError(f"no executor's signing key (<executor_code>.pem) in {directory}")

    def serves(self, executor_code: str | None) -> bool:
        return executor_code is not None and executor_code in self._keys

    def sign(self, executor_code: str, envelope: Envelope) -> tuple[bytes, list[tuple[str, bytes]]]:
        key, kid = self._keys[executor_code]
        return signed_action(envelope, key.sign, kid)


class ActionSender:
    """Signs and publishes; an action the broker did not acknowledge is :class:`Unavailable`
    (nothing was sent: the employee tries again, the same action id keeps it from counting twice)."""

    def __init__(self, publisher: KafkaPublisher, keys: SigningKeys) -> None:
        self._publisher = publisher
        self._keys = keys

    async def send(self, executor_code: str, action: Event, *, appeal_id: str, now: datetime) -> None:
        envelope = Envelope.wrap(action, source="workspace", subject=appeal_id,
                                 event_id=getattr(action, "action_id", None), time=now)
        value, headers = self._keys.sign(executor_code, envelope)
        [failed] = await self._publisher.send_all([Record(TOPIC, appeal_id.encode(), value, headers)])
        if failed is not None:
            raise Unavailable(f"the broker did not take the action: {type(failed).__name__}")
