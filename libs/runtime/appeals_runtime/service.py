"""The process skeleton every service shares: one FastAPI app whose lifespan opens the
database, migrates it, starts the publisher, the outbox relay and the Kafka consumers,
and stops them in the reverse order (stop fetching, finish in-flight batches, flush the
outbox, close).

A service describes itself with a :class:`ServiceSpec`; its ``bootstrap`` module builds
one, and its entry point calls :func:`serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, Generic, TypeVar

import asyncpg
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator
from faststream.kafka import KafkaBroker

from appeals_runtime import broker_history, metrics
from appeals_runtime.auth import PUBLIC, AuthenticateFirst, Verifier, allow, api_routes, document_access
from appeals_runtime.body_limit import BodyLimit
from appeals_runtime.clock import Clock
from appeals_runtime.consumer import EventConsumer
from appeals_runtime.db import create_pool
from appeals_runtime.health import Health
from appeals_runtime.inbound import Subscription
from appeals_runtime.logs import setup_logging
from appeals_runtime.migrations import discover, migrate, runtime_migrations
from appeals_runtime.publisher import KafkaPublisher
from appeals_runtime.relay import OutboxRelay
from appeals_runtime.retry import RetryPolicy
from appeals_runtime.settings import ServiceSettings
from appeals_runtime.supervisor import Supervisor
from appeals_runtime.telemetry import setup_tracing, shutdown_tracing
from appeals_runtime.unit_of_work import UnitOfWork, event_source
from appeals_runtime.workers import poll

log = logging.getLogger(__name__)

#: How long a starting service waits for its database (about half a minute).
STARTUP_RETRY = RetryPolicy(attempts=30, initial_s=0.2, max_s=1.0)


U = TypeVar("U", bound=UnitOfWork)


@dataclass
class Runtime(Generic[U]):
    """The started resources of a service, available to its handlers and routes; ``U`` is the
    service's own unit of work (a worker's step annotates ``Runtime[PostgresUnitOfWork]``)."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    publisher: KafkaPublisher
    broker: KafkaBroker
    consumer: EventConsumer
    relay: OutboxRelay
    health: Health
    clock: Clock
    unit_of_work: Callable[[], U]
    verifier: Verifier
    supervisor: Supervisor = field(default_factory=Supervisor)


@dataclass(frozen=True)
class PollingWorker:
    """A background loop of the service (a timer sweep, a delivery channel): ``step`` runs
    again at once while it returns True, otherwise after ``interval_s`` or when ``wake`` is set
    (set it after committing work the worker should do now)."""

    name: str
    step: Callable[[Runtime[Any]], Awaitable[bool]]
    interval_s: float
    wake: asyncio.Event | None = field(default=None, compare=False)


@dataclass
class ServiceSpec:
    """What makes a service different from the others."""

    title: str
    settings: ServiceSettings
    migrations_package: str | None  # the service's own migrations (None: only the runtime's tables)
    #: The service's inbound table (its ``entrypoints/consumers.py``); handlers read the time
    #: from their unit of work's clock (``uow.clock``), the platform's.
    subscriptions: Sequence[Subscription]
    unit_of_work: type[UnitOfWork] = UnitOfWork
    routers: Sequence[APIRouter] = field(default_factory=tuple)
    description: str = ""
    on_start: Callable[[Runtime[Any]], Awaitable[None]] | None = None  # after migrations, before consumers
    workers: Sequence[PollingWorker] = ()
    publishes: Sequence[str] = ()  # topics its outbox writes to (for the AsyncAPI document)
    #: Path prefix → the largest body taken there, above HTTP_MAX_BODY_BYTES (upload routes).
    body_limits: Mapping[str, int] = field(default_factory=dict)
    sample: metrics.OwnSample | None = None  # the service's own gauges, read from its database
    #: Exception class or HTTP status → handler (a service's own pages for its refusals).
    exception_handlers: Mapping[Any, Callable[..., Any]] = field(default_factory=dict)
    #: What the routes read from ``request.app.state`` besides the runtime (a service's context).
    state: Mapping[str, Any] = field(default_factory=dict)


async def _connect(settings: ServiceSettings) -> asyncpg.Pool:
    return await STARTUP_RETRY.call("database not reachable yet", lambda: create_pool(
        settings.database_url, min_size=settings.db_pool_min_size, max_size=settings.db_pool_max_size))


@contextlib.asynccontextmanager
async def start(spec: ServiceSpec) -> AsyncIterator[Runtime[Any]]:
    """Start everything the service runs on and stop it again in the reverse order, also
    when start-up fails half-way (nothing started is left open)."""
    settings = spec.settings
    setup_logging(settings.service_name, settings.log_level)
    async with contextlib.AsyncExitStack() as stack:
        setup_tracing(settings.service_name)
        stack.callback(shutdown_tracing)
        pool = await _connect(settings)
        stack.push_async_callback(pool.close)
        async with pool.acquire() as conn:
            own = discover(settings.service_name, spec.migrations_package) if spec.migrations_package else []
            applied = await migrate(conn, runtime_migrations() + own)
        for name in applied:
            log.info("applied migration %s", name)
        publisher = KafkaPublisher(settings)
        await publisher.start()
        stack.push_async_callback(publisher.stop)
        broker = KafkaBroker(
            list(settings.kafka_bootstrap_servers),
            security=settings.faststream_security(),
            client_id=settings.service_name,
            acks="all",
            enable_idempotence=settings.kafka_enable_idempotence,
            logger=logging.getLogger(f"{settings.service_name}.broker"),
        )
        clock = settings.clock()
        unit_of_work = partial(spec.unit_of_work, pool, source=event_source(settings.service_name), clock=clock)
        relay = OutboxRelay(pool, publisher, batch_size=settings.outbox_batch_size,
                            poll_interval_s=settings.outbox_poll_interval_s, retention_s=settings.outbox_retention_s)
        runtime = Runtime(settings, pool, publisher, broker,
                          EventConsumer(settings, unit_of_work, publisher, clock=clock), relay, Health(), clock,
                          unit_of_work, settings.verifier())
        if spec.on_start is not None:
            await spec.on_start(runtime)
        for subscription in spec.subscriptions:
            runtime.consumer.register(broker, subscription)

        # Before anything publishes or consumes: a broker that lost what we published gets it again.
        await STARTUP_RETRY.call("broker not answering yet", partial(
            broker_history.republish_if_history_lost, pool, settings.kafka_client_options(), set(spec.publishes)))
        supervisor = runtime.supervisor
        stack.push_async_callback(supervisor.stop)
        supervisor.start("outbox-relay", relay.run)
        supervisor.start("metrics-sampler", partial(poll, "metrics-sampler", partial(
            metrics.sample, pool, relay, clock=clock, own=spec.sample, broker=broker, health=runtime.health),
            interval_s=5.0))
        supervisor.start("inbox-retention", partial(
            poll, "inbox-retention", partial(metrics.purge_inbox, pool, settings.inbox_retention_s), interval_s=600))

        async def stop_relay() -> None:
            await supervisor.finish("outbox-relay", relay.stop)
            left = await relay.flush()
            if left:
                log.warning("%d outbox rows left for the next start", left)

        stack.push_async_callback(stop_relay)
        await broker.start()
        stack.push_async_callback(broker.stop)
        workers_stopping = asyncio.Event()
        for worker in spec.workers:
            supervisor.start(worker.name, partial(poll, worker.name, partial(worker.step, runtime),
                                                  interval_s=worker.interval_s, stopping=workers_stopping,
                                                  wake=worker.wake))

        async def stop_workers() -> None:  # each ends after its current step, so what it sent is recorded
            await supervisor.finish(tuple(w.name for w in spec.workers), workers_stopping.set,
                                    timeout_s=settings.worker_stop_timeout_s)

        stack.push_async_callback(stop_workers)

        async def database_ready() -> bool:
            async with pool.acquire() as conn:
                return bool(await conn.fetchval("SELECT 1") == 1)

        running = True

        async def broker_ready() -> bool:
            return running and await broker.ping(timeout=2.0)

        runtime.health.add("database", database_ready)
        runtime.health.add("broker", broker_ready)
        runtime.health.add("background tasks", _all_up(supervisor))
        try:
            yield runtime
        finally:
            running = False


def _all_up(supervisor: Supervisor) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return not supervisor.down()

    return check


def create_app(spec: ServiceSpec) -> FastAPI:
    """The service's ASGI app; starting it starts the whole service."""
    settings = spec.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with start(spec) as runtime:
            app.state.runtime = runtime
            log.info("%s started", settings.service_name)
            yield
        log.info("%s stopped", settings.service_name)

    app = assemble(spec.title, spec.description, settings, spec.routers, lifespan, body_limits=spec.body_limits)
    app.state.spec = spec  # read by the AsyncAPI generator
    for name, value in spec.state.items():
        setattr(app.state, name, value)
    app.add_exception_handler(asyncpg.exceptions.DataError, _unstorable_input)
    for key, handler in spec.exception_handlers.items():
        app.add_exception_handler(key, handler)
    return app


def assemble(title: str, description: str, settings: ServiceSettings, routers: Sequence[APIRouter],
             lifespan: Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]], *,
             body_limits: Mapping[str, int] | None = None) -> FastAPI:
    """What every HTTP process of the platform has, a service or one of the people's
    applications: the probes, ``/metrics`` (for the ``sre`` role unless METRICS_PUBLIC), request
    metrics, every route's declared roles checked first, the body limit, a 405 naming every
    method of the path."""
    if settings.api_docs:
        app = FastAPI(title=title, description=description, lifespan=lifespan)
    else:
        app = FastAPI(title=title, description=description, lifespan=lifespan, docs_url=None, redoc_url=None,
                      openapi_url=None)
    app.include_router(Health.router_for(app))
    for router in routers:
        app.include_router(router)

    @app.get("/metrics", include_in_schema=False,
             dependencies=[PUBLIC if settings.metrics_public else allow("sre")])
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    Instrumentator(excluded_handlers=["/metrics", "/health/live", "/health/ready"]).instrument(app)
    document_access(api_routes(app.routes))
    app.add_exception_handler(405, _method_not_allowed)
    app.add_middleware(AuthenticateFirst)
    app.add_middleware(BodyLimit, default=settings.http_max_body_bytes, larger=body_limits or {})  # outermost
    return app


async def _unstorable_input(request: Request, exc: Exception) -> JSONResponse:
    """A request value PostgreSQL refuses (a NUL character, a number out of range): the
    caller's input, so 422 in FastAPI's validation shape, never a 500. The value is not echoed."""
    log.warning("%s %s refused: %s", request.method, request.url.path, type(exc).__name__)
    return JSONResponse({"detail": [{"loc": ["request"], "type": "value_error",
                                     "msg": "a value the database cannot store or compare (e.g. a NUL character)"}]},
                        status_code=422)


async def _method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    """405 whose ``Allow`` names every method of the path: Starlette names only those of the
    first route that matched it (Open311's requests path has a GET and a POST route)."""
    methods = sorted({method for route in api_routes(request.app.routes)
                      if getattr(route, "path_regex", None) is not None and route.path_regex.match(request.url.path)
                      for method in (getattr(route, "methods", None) or ())})
    return JSONResponse({"detail": "Method Not Allowed"}, 405, headers={"Allow": ", ".join(methods)})


async def _unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    async with request.app.state.runtime.unit_of_work() as uow:
        yield uow


#: An HTTP route's unit of work: ``uow: Annotated[MyUnitOfWork, UnitOfWorkDep]``. It commits
#: (and writes its outbox) when the route returns, before the response is sent; an exception,
#: an ``HTTPException`` included, rolls it back.
UnitOfWorkDep = Depends(_unit_of_work, scope="function")


def runtime_of(request: Request) -> Runtime[Any]:
    """The started runtime (its clock, settings), for routes that need more than a unit of work."""
    runtime: Runtime[Any] = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime[Any], Depends(runtime_of)]


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the service until SIGINT/SIGTERM, then shut down gracefully.

    The event loop is uvloop's (libuv): asyncio's own loop and its socket transports were
    a fifth to a third of every service's CPU in a surge (docs/operations.md, "Throughput")."""
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None,
                access_log=False, timeout_graceful_shutdown=20, loop="uvloop")
