"""Upcasters: turn payloads written under an older schema version into the current one.

Each upcaster takes a payload dict of version ``n`` and returns one of version ``n + 1``.
Readers apply the chain on parse (:meth:`Envelope.event`), so handlers only ever see the
current model, while old producers (an adapter not yet upgraded) keep working during the
deprecation window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]

#: Social networks that schema version 1 of ``appeal.submitted`` sent as the channel itself.
_V1_NETWORK_CHANNELS = frozenset({"instagram", "facebook", "telegram", "vk", "whatsapp", "x"})


def upcast_submitted_v1_v2(payload: Payload) -> Payload:
    """``appeal.submitted`` v1 → v2: v1 named the network as the channel
    (``"channel": "telegram"``); v2 has ``channel="social_network"`` and names the network
    in ``social_network``."""
    channel = payload.get("channel")
    if channel in _V1_NETWORK_CHANNELS:
        return {**payload, "channel": "social_network", "social_network": channel}
    return payload


UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("appeal.submitted", 1): upcast_submitted_v1_v2,
}


class UnsupportedSchemaVersion(ValueError):
    """A payload's schema version has no path to the current one."""


def upcast(event_type: str, version: int, current: int, payload: Payload) -> Payload:
    """Apply upcasters from ``version`` up to ``current``.

    A version newer than ``current`` is read as is: changes within a major version are
    additive, and unknown fields are ignored by the models.
    """
    while version < current:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise UnsupportedSchemaVersion(
                f"{event_type} schema version {version} cannot be upcast to {current}"
            )
        payload = step(payload)
        version += 1
    return payload
