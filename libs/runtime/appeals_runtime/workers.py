"""Polling workers: timer sweeps and delivery loops share one shape."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from appeals_runtime.errors import is_transient

log = logging.getLogger(__name__)

#: One round of a worker; returns True when more work is probably waiting (run again at once).
Step = Callable[[], Awaitable[bool]]


async def poll(name: str, step: Step, *, interval_s: float, stopping: asyncio.Event | None = None,
               wake: asyncio.Event | None = None) -> None:
    """Run ``step`` until cancelled or ``stopping`` is set: again at once while it reports more
    work, otherwise after ``interval_s`` or as soon as ``wake`` is set (by whoever just committed
    work for it: the step then runs now, not up to an interval later). With ``stopping`` the
    loop ends only between steps, so a step that has sent something also records it (a
    graceful stop sends nothing twice). A transient fault (the database restarting) is logged
    briefly and the loop goes on; any other fault ends the loop, for the supervisor to log,
    report and restart."""
    stopping = stopping or asyncio.Event()
    while not stopping.is_set():
        if wake is not None:
            wake.clear()  # what is committed from here on rings again; what came before, this step finds
        more = False
        try:
            more = await step()
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("%s: %s; retrying", name, type(exc).__name__)
        if not more:
            await _rest(stopping, wake, interval_s)


async def _rest(stopping: asyncio.Event, wake: asyncio.Event | None, interval_s: float) -> None:
    """Wait ``interval_s``, or less when ``stopping`` or ``wake`` is set."""
    waits = [asyncio.ensure_future(stopping.wait())]
    if wake is not None:
        waits.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waits, timeout=interval_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
