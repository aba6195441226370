"""The inbox: processed event ids, recorded in the same transaction as the effect."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg


async def claim_new(conn: asyncpg.Connection, consumer: str, event_ids: Sequence[UUID]) -> set[UUID]:
    """Record ``event_ids`` as processed by ``consumer`` and return those not seen before.

    Must run inside the transaction that applies the events' effects: if that
    transaction rolls back, the claim rolls back with it and the events are processed
    again; if it commits, a redelivery finds them here and has no second effect.
    """
    if not event_ids:
        return set()
    rows = await conn.fetch(
        """INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])
           ON CONFLICT DO NOTHING RETURNING event_id""",
        consumer, list(event_ids),
    )
    return {r["event_id"] for r in rows}
