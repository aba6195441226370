"""The stack on testcontainers: Apache Kafka (KRaft) and PostgreSQL, where Docker answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from appeals_devstack.issuer import LocalIssuer
from appeals_devstack.portal_keys import PortalKeys
from appeals_devstack.ports import free_port
from appeals_devstack.services import DATABASES
from appeals_devstack.stack import StackInfo, create_topics


@contextlib.contextmanager
def container_stack(state_dir: Path) -> Iterator[StackInfo]:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    issuer = LocalIssuer(state_dir / "issuer", free_port()).start()
    try:
        with KafkaContainer().with_kraft() as kafka, PostgresContainer("postgres:16", driver=None) as pg:
            PortalKeys(state_dir / "portal-keys").ensure()
            info = ContainerStackInfo(kafka.get_bootstrap_server(), pg.get_connection_url(), str(issuer.keys.directory),
                                      str(state_dir / "portal-keys"))
            asyncio.run(_prepare(info))
            yield info
    finally:
        issuer.stop()


class ContainerStackInfo(StackInfo):
    def service_env(self, service: str, database: str) -> dict[str, str]:
        env = {**super().service_env(service, database), "KAFKA_ENABLE_IDEMPOTENCE": "true"}
        for tansu_only in ("CONSUMER_SESSION_TIMEOUT_MS", "CONSUMER_HEARTBEAT_INTERVAL_MS"):
            env.pop(tansu_only)
        return env


async def _prepare(info: StackInfo) -> None:
    conn = await asyncpg.connect(info.postgres_uri)
    try:
        for db in DATABASES:
            await conn.execute(f'CREATE DATABASE "{db}"')
    finally:
        await conn.close()
    await create_topics(info.bootstrap_servers)
