"""The skeleton of the people's applications (the citizen's portal, and those that follow): an
HTTP process at the platform's edge with no database and no broker of its own. It talks to the
services only through their public APIs, so its state is the application's context (API
clients, keys), opened when the process starts and closed when it stops.

It shares with the services everything an operator relies on (:func:`appeals_runtime.service.assemble`):
settings from the same environment variables, JSON logs, traces, ``/metrics`` (with
``appeals_ready``, so the not-ready alert covers it), the probes, each route's declared roles
checked first, the body limit.
"""

from __future__ import annotations

import contextlib
import logging
from functools import partial
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request

from appeals_runtime import metrics
from appeals_runtime.auth import Verifier
from appeals_runtime.clock import Clock
from appeals_runtime.health import Health
from appeals_runtime.logs import setup_logging
from appeals_runtime.oidc import OidcClient
from appeals_runtime.pages import Pages, SessionRenewal
from appeals_runtime.service import assemble
from appeals_runtime.settings import ServiceSettings
from appeals_runtime.supervisor import Supervisor
from appeals_runtime.telemetry import setup_tracing, shutdown_tracing
from appeals_runtime.workers import poll

log = logging.getLogger(__name__)

C = TypeVar("C")


@dataclass
class EdgeRuntime(Generic[C]):
    """The started application: its settings, the platform's clock, the token verifier, its
    readiness checks and its own context."""

    settings: ServiceSettings
    clock: Clock
    verifier: Verifier
    health: Health
    context: C
    supervisor: Supervisor = field(default_factory=Supervisor)


@dataclass
class EdgeSpec(Generic[C]):
    """What makes one of the people's applications different from the others."""

    title: str
    settings: ServiceSettings
    #: Opens the application's context (and closes it when the process stops).
    context: Callable[[ServiceSettings, Clock], contextlib.AbstractAsyncContextManager[C]]
    routers: Sequence[APIRouter] = ()
    #: Readiness checks by name, over the opened context (the services it needs, reachable).
    readiness: Callable[[C], Mapping[str, Callable[[], Awaitable[bool]]]] = field(default=lambda _: {})
    description: str = ""
    body_limits: Mapping[str, int] = field(default_factory=dict)
    #: Exception class or HTTP status → handler (the application's own pages for 404 and the like).
    exception_handlers: Mapping[Any, Callable[..., Any]] = field(default_factory=dict)
    #: An application where people sign in: its pages and IdP client in the opened context, so
    #: that a session's token is renewed before it runs out (:class:`~appeals_runtime.pages.SessionRenewal`).
    sign_in: Callable[[C], tuple[Pages, OidcClient]] | None = None


def create_edge_app(spec: EdgeSpec[Any]) -> FastAPI:
    """The application's ASGI app; starting it opens its context."""
    settings = spec.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_logging(settings.service_name, settings.log_level)
        setup_tracing(settings.service_name)
        try:
            clock = settings.clock()
            async with spec.context(settings, clock) as context:
                health = Health()
                for name, check in spec.readiness(context).items():
                    health.add(name, check)
                runtime = EdgeRuntime(settings, clock, settings.verifier(), health, context)
                runtime.supervisor.start("metrics-sampler", partial(
                    poll, "metrics-sampler", partial(metrics.sample_ready, health), interval_s=5.0))
                app.state.runtime = runtime
                log.info("%s started", settings.service_name)
                try:
                    yield
                finally:
                    await runtime.supervisor.stop()
        finally:
            shutdown_tracing()
        log.info("%s stopped", settings.service_name)

    app = assemble(spec.title, spec.description, settings, spec.routers, lifespan, body_limits=spec.body_limits)
    for key, handler in spec.exception_handlers.items():
        app.add_exception_handler(key, handler)
    if spec.sign_in is not None:
        app.add_middleware(SessionRenewal, locate=spec.sign_in)
    return app


def edge_runtime(request: Request) -> EdgeRuntime[Any]:
    runtime: EdgeRuntime[Any] = request.app.state.runtime
    return runtime


#: A route's started application: ``runtime: EdgeRuntimeDep`` (its ``context``, ``clock``).
EdgeRuntimeDep = Annotated[EdgeRuntime[Any], Depends(edge_runtime)]
