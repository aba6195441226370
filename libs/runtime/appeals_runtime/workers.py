"""Polling workers: timer sweeps and delivery loops share one shape."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from appeals_runtime.errors import is_transient

log = logging.getLogger(__name__)

#: One round of a worker; returns True when more work is probably waiting (run again at once).
Step = Callable[[], Awaitable[bool]]


async def poll(name: str, step: Step, *, interval_s: float) -> None:
    """Run ``step`` until cancelled: again at once while it reports more work, otherwise after
    ``interval_s``. A fault is logged (a transient one briefly) and the loop goes on, so the
    worker outlives a database restart."""
    while True:
        more = False
        try:
            more = await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a worker must outlive any single round
            if is_transient(exc):
                log.warning("%s: %s; retrying", name, type(exc).__name__)
            else:
                log.exception("%s failed", name)
        if not more:
            await asyncio.sleep(interval_s)
