"""Liveness and readiness, the same in every service.

``GET /health/live`` answers 200 while the process runs its event loop.
``GET /health/ready`` answers 200 when every readiness check passes (database reachable,
migrations applied, broker connected, consumers started), 503 with the failing checks
otherwise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from appeals_runtime.auth import PUBLIC

Check = Callable[[], Awaitable[bool]]


class Health:
    """Named readiness checks, run on each probe."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        self._checks[name] = check

    async def results(self) -> dict[str, bool]:
        out = {}
        for name, check in self._checks.items():
            try:
                out[name] = bool(await check())
            except Exception:  # noqa: BLE001 - a failing probe is a 'not ready', never a crash
                out[name] = False
        return out

    @staticmethod
    def router_for(app: FastAPI) -> APIRouter:
        """Probe routes reading the :class:`Health` the app's lifespan put on ``app.state``;
        before start-up completes, readiness answers 503."""
        router = APIRouter(tags=["health"], dependencies=[PUBLIC])

        @router.get("/health/live")
        async def live() -> dict[str, str]:
            return {"status": "alive"}

        @router.get("/health/ready")
        async def ready() -> JSONResponse:
            runtime = getattr(app.state, "runtime", None)
            results = await runtime.health.results() if runtime is not None else {"started": False}
            ok = bool(results) and all(results.values())
            body: dict[str, object] = {"status": "ready" if ok else "not ready", "checks": results}
            supervisor = getattr(runtime, "supervisor", None)
            if supervisor is not None and supervisor.down():
                body["tasks_down"] = supervisor.down()  # waiting to be restarted after a failure
            return JSONResponse(body, status_code=200 if ok else 503)

        return router
