"""Publishing records to Kafka with acks awaited: the relay's and the dead-letter path's sender."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaProducer

from appeals_runtime.settings import ServiceSettings


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


class Publisher(Protocol):
    async def send_all(self, records: Sequence[Record]) -> list[BaseException | None]:
        """Send ``records`` together; one result per record (``None`` when acknowledged)."""
        ...


class KafkaPublisher:
    """An aiokafka producer with ``acks=all`` (idempotence as configured)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._producer = AIOKafkaProducer(
            **settings.kafka_client_options(),
            client_id=f"{settings.service_name}-publisher",
            acks="all",
            enable_idempotence=settings.kafka_enable_idempotence,
            linger_ms=5,
            max_batch_size=256 * 1024,
            request_timeout_ms=15_000,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send_all(self, records: Sequence[Record]) -> list[BaseException | None]:
        futures = []
        for r in records:
            try:
                futures.append(await self._producer.send(r.topic, r.value, key=r.key, headers=r.headers))
            except Exception as exc:  # noqa: BLE001 - reported per record to the caller
                futures.append(_failed(exc))
        results = await asyncio.gather(*futures, return_exceptions=True)
        return [r if isinstance(r, BaseException) else None for r in results]


def _failed(exc: BaseException) -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_exception(exc)
    return future
