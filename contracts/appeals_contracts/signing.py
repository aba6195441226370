"""How an executor portal signs its actions on ``appeals.executor-actions.v1``.

A portal holds an Ed25519 private key; routing holds the public keys of every executor
(``EXECUTOR_KEYS_FILE``). The portal signs :func:`signed_message` of the record it publishes
and sends the signature and its key id as headers. Routing refuses an action whose signature
does not verify with a key of the executor the action names, so a portal cannot act as
another executor, whoever can write to the topic.
"""

from __future__ import annotations

SIGNATURE_HEADER = "ce_signature"  # base64url, no padding
KEY_ID_HEADER = "ce_signaturekeyid"
_DOMAIN = b"open-appeals/executor-action/v1\n"


def signed_message(event_id: str, value: bytes) -> bytes:
    """The bytes a portal signs: a fixed domain tag, the record's ``ce_id`` and its value."""
    return _DOMAIN + event_id.encode() + b"\n" + value
