"""The asyncpg connection pool."""

from __future__ import annotations

import asyncpg


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """Open a pool to the service's own database. Queries are traced when telemetry is on."""
    return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, command_timeout=60)
