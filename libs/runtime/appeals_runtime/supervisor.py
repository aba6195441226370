"""One supervisor for a service's background tasks (the outbox relay, timer sweeps, delivery
workers, the metrics sampler): a task that dies of an unexpected exception is logged and
started again after a backoff, and the service reports not ready while it is down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from appeals_runtime import metrics
from appeals_runtime.retry import RetryPolicy

log = logging.getLogger(__name__)

#: Waits between restarts of a task that keeps dying: 1 s, doubling, at most 30 s.
RESTART = RetryPolicy(attempts=None, initial_s=1.0, max_s=30.0)


class Supervisor:
    def __init__(self, policy: RetryPolicy = RESTART, on_restart: Callable[[str], None] | None = None) -> None:
        self._policy = policy
        self._on_restart = on_restart
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._up: dict[str, bool] = {}
        self._finishing: set[str] = set()
        self._stopping = False

    def start(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run ``run()`` as the task ``name`` until :meth:`stop`, restarting it when it fails
        (or returns before it was asked to stop)."""
        self._up[name] = True
        self._tasks[name] = asyncio.create_task(self._keep(name, run), name=name)

    def is_up(self, name: str) -> bool:
        return self._up.get(name, False)

    def down(self) -> list[str]:
        """The tasks waiting to be restarted."""
        return sorted(name for name, up in self._up.items() if not up)

    async def _keep(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        failures = 0
        while not self._stopping:
            self._up[name] = True
            metrics.TASK_UP.labels(name).set(1)
            try:
                await run()
                if self._stopping or name in self._finishing:
                    return
                log.error("%s returned without being stopped; starting it again", name)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the point of a supervisor
                log.exception("%s failed; starting it again", name)
            self._up[name] = False
            metrics.TASK_UP.labels(name).set(0)
            metrics.TASK_RESTARTS.labels(name).inc()
            failures += 1
            if self._on_restart is not None:
                self._on_restart(name)
            await asyncio.sleep(min(self._policy.initial_s * 2 ** (failures - 1), self._policy.max_s))

    async def finish(self, name: str | tuple[str, ...], stop: Callable[[], None], *,
                     timeout_s: float | None = None) -> None:
        """Ask the task ``name`` (or several, one signal for all) to end by itself (``stop()``)
        and wait until it has, without a restart: for tasks that must finish their round (the
        relay publishing, a delivery recording what it sent). After ``timeout_s`` the ones
        still running are cancelled."""
        names = (name,) if isinstance(name, str) else name
        self._finishing.update(names)
        stop()
        tasks = {n: t for n in names if (t := self._tasks.pop(n, None)) is not None}
        if tasks:
            _, pending = await asyncio.wait(set(tasks.values()), timeout=timeout_s)
            for n, task in tasks.items():
                if task in pending:
                    log.warning("%s did not finish within %s s; cancelling it", n, timeout_s)
                    task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)

    async def stop(self, *names: str) -> None:
        """Cancel ``names`` (all tasks when none are given) and wait for them."""
        chosen = names or tuple(self._tasks)
        if not names:
            self._stopping = True
        tasks = [self._tasks.pop(n) for n in chosen if n in self._tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
