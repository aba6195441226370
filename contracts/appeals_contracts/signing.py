"""How an executor portal signs its actions on ``appeals.executor-actions.v1``.

A portal holds an Ed25519 private key; routing holds the public keys of every executor
(``EXECUTOR_KEYS_FILE``). The portal signs :func:`signed_message` of the record it publishes
and sends the signature and its key id as headers. The signature covers the whole envelope
routing acts on: the event's id, type, schema version, subject (the appeal) and time, and the
value. Routing refuses an action whose signature does not verify with a key of the executor
the action names, so a portal cannot act as another executor, whoever can write to the topic;
nor can anybody relabel a signed action (another type or appeal) or give it another time. An
action whose ``ce_time`` is older than routing's window (``SIGNED_ACTION_MAX_AGE_S``) is
refused, so a captured action cannot be replayed once routing's inbox has forgotten its id.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appeals_contracts.envelope import Envelope

SIGNATURE_HEADER = "ce_signature"  # base64url, no padding
KEY_ID_HEADER = "ce_signaturekeyid"
#: The envelope attributes (Kafka headers) a signature covers, in this order.
SIGNED_ATTRIBUTES = ("ce_id", "ce_type", "ce_schemaversion", "ce_subject", "ce_time")
_DOMAIN = b"open-appeals/executor-action/v2\n"


class UnsignableAction(ValueError):
    """The record lacks an attribute the signature must cover."""


def signed_message(attributes: Mapping[str, str], value: bytes) -> bytes:
    """The bytes a portal signs: a fixed domain tag, each of :data:`SIGNED_ATTRIBUTES` as
    ``name=value`` on a line of its own, an empty line, then the record's value. Raises
    :class:`UnsignableAction` when an attribute is missing or holds a line break."""
    lines = []
    for name in SIGNED_ATTRIBUTES:
        text = attributes.get(name)
        if not text or "\n" in text or "\r" in text:
            raise UnsignableAction(f"the action has no usable {name} header, which the signature covers")
        lines.append(f"{name}={text}\n".encode())
    return _DOMAIN + b"".join(lines) + b"\n" + value


def signed_action(envelope: Envelope, sign: Callable[[bytes], bytes], key_id: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """(value, headers) of an executor action as a portal publishes it: the envelope's value and
    headers plus the signature ``sign`` (an Ed25519 private key's ``sign``) makes of
    :func:`signed_message`, and the key's id. The record's key is the appeal id."""
    value = envelope.kafka_value()
    signature = sign(signed_message(envelope.header_values(), value))
    headers = list(envelope.kafka_headers()) + [
        (SIGNATURE_HEADER, base64.urlsafe_b64encode(signature).rstrip(b"=")), (KEY_ID_HEADER, key_id.encode())]
    return value, headers
