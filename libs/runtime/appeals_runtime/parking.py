"""Events that arrive before their facts, parked until the facts come: one mechanism for every
service that needs it (the deadline tracker keeps an answer, an acceptance, an extension
request, a merge... that came before the registration it applies to). What is parked is the
service's own small record of the event (``kind`` and its ``args``, text only), not the
envelope: the inbox has already taken the event, so parking it is applying it later."""

from __future__ import annotations

import json
from collections.abc import Sequence
from uuid import UUID

import asyncpg


class Parking:
    """The runtime's ``parked_events`` table, in the caller's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def park(self, subject: UUID | str, kind: str, args: dict[str, str]) -> None:
        await self._conn.execute("INSERT INTO parked_events (subject, kind, args) VALUES ($1, $2, $3::jsonb)",
                                 str(subject), kind, json.dumps(args))

    async def take(self, subject: UUID | str, kind: str) -> list[dict[str, str]]:
        """Take ``subject``'s parked events of ``kind``, in arrival order."""
        rows = await self._conn.fetch(
            "DELETE FROM parked_events WHERE subject = $1 AND kind = $2 RETURNING seq, args", str(subject), kind)
        return [json.loads(r["args"]) for r in sorted(rows, key=lambda r: r["seq"])]

    async def take_all(self, subjects: Sequence[UUID]) -> dict[UUID, list[tuple[str, dict[str, str]]]]:
        """Take every parked event of ``subjects``: each subject's (kind, args) in arrival order."""
        by_text = {str(s): s for s in subjects}
        rows = await self._conn.fetch(
            "DELETE FROM parked_events WHERE subject = ANY($1::text[]) RETURNING subject, seq, kind, args",
            list(by_text))
        kept: dict[UUID, list[tuple[str, dict[str, str]]]] = {}
        for r in sorted(rows, key=lambda r: r["seq"]):
            kept.setdefault(by_text[r["subject"]], []).append((r["kind"], json.loads(r["args"])))
        return kept
