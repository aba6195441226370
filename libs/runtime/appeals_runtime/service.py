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
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
import uvicorn
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from appeals_runtime.consumer import EventConsumer
from appeals_runtime.db import create_pool
from appeals_runtime.health import Health
from appeals_runtime.logs import setup_logging
from appeals_runtime.migrations import discover, migrate, runtime_migrations
from appeals_runtime.publisher import KafkaPublisher
from appeals_runtime.relay import OutboxRelay
from appeals_runtime.settings import ServiceSettings
from appeals_runtime.telemetry import setup_tracing, shutdown_tracing

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The started resources of a service, available to its handlers and routes."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    publisher: KafkaPublisher
    broker: KafkaBroker
    consumer: EventConsumer
    relay: OutboxRelay
    health: Health


@dataclass
class ServiceSpec:
    """What makes a service different from the others."""

    title: str
    settings: ServiceSettings
    migrations_package: str
    subscribe: Callable[[Runtime], None]
    routers: Sequence[APIRouter] = field(default_factory=tuple)
    description: str = ""
    on_start: Callable[[Runtime], Awaitable[None]] | None = None  # after migrations, before consumers
    background: Sequence[Callable[[Runtime], Awaitable[None]]] = ()  # run until shutdown (e.g. timer sweeps)
    publishes: Sequence[str] = ()  # topics its outbox writes to (for the AsyncAPI document)


async def _connect(settings: ServiceSettings, attempts: int = 30) -> asyncpg.Pool:
    for attempt in range(1, attempts + 1):
        try:
            return await create_pool(settings.database_url, min_size=settings.db_pool_min_size,
                                     max_size=settings.db_pool_max_size)
        except (OSError, asyncpg.PostgresError) as exc:
            if attempt == attempts:
                raise
            log.warning("database not reachable yet (%s); retrying", type(exc).__name__)
            await asyncio.sleep(1)
    raise AssertionError("unreachable")


def create_app(spec: ServiceSpec) -> FastAPI:
    """The service's ASGI app; starting it starts the whole service."""
    settings = spec.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_logging(settings.service_name, settings.log_level)
        provider = setup_tracing(settings.service_name)
        pool = await _connect(settings)
        async with pool.acquire() as conn:
            applied = await migrate(conn, runtime_migrations() + discover(settings.service_name, spec.migrations_package))
        for name in applied:
            log.info("applied migration %s", name)
        publisher = KafkaPublisher(settings)
        await publisher.start()
        broker = KafkaBroker(
            settings.kafka_bootstrap_servers.split(","),
            security=settings.faststream_security(),
            client_id=settings.service_name,
            acks="all",
            enable_idempotence=settings.kafka_enable_idempotence,
            middlewares=(KafkaTelemetryMiddleware(tracer_provider=provider),),
            logger=logging.getLogger(f"{settings.service_name}.broker"),
        )
        health = Health()
        runtime = Runtime(settings, pool, publisher, broker, EventConsumer(settings, pool, publisher),
                          OutboxRelay(pool, publisher, batch_size=settings.outbox_batch_size,
                                      poll_interval_s=settings.outbox_poll_interval_s,
                                      retention_s=settings.outbox_retention_s),
                          health)
        if spec.on_start is not None:
            await spec.on_start(runtime)
        spec.subscribe(runtime)
        relay_task = asyncio.create_task(runtime.relay.run(), name="outbox-relay")
        await broker.start()
        background = [asyncio.create_task(task(runtime), name=getattr(task, "__name__", "background"))
                      for task in spec.background]
        started = True

        async def database_ready() -> bool:
            async with pool.acquire() as conn:
                return await conn.fetchval("SELECT 1") == 1

        async def broker_ready() -> bool:
            return started and await broker.ping(timeout=2.0)

        health.add("database", database_ready)
        health.add("broker", broker_ready)
        app.state.runtime = runtime
        log.info("%s started", settings.service_name)
        try:
            yield
        finally:
            started = False
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await broker.stop()
            runtime.relay.stop()
            await relay_task
            left = await runtime.relay.flush()
            if left:
                log.warning("%d outbox rows left for the next start", left)
            await publisher.stop()
            await pool.close()
            shutdown_tracing()
            log.info("%s stopped", settings.service_name)

    app = FastAPI(title=spec.title, description=spec.description, lifespan=lifespan)
    app.state.spec = spec  # read by the AsyncAPI generator
    app.include_router(Health.router_for(app))
    for router in spec.routers:
        app.include_router(router)
    return app


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the service until SIGINT/SIGTERM, then shut down gracefully."""
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_config=None,
                access_log=False, timeout_graceful_shutdown=20)
