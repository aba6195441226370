"""The audit trail: every decision a person makes (an answer, a verdict, a reassignment), with
who made it, in which role, about which appeal, when and with what outcome. Each service keeps
its own, written in the same transaction as the decision's effect, so a decision is never
without its record nor a record without its decision."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg


@dataclass(frozen=True)
class AuditEntry:
    """``actor`` is a token subject or an employee id, never a name; ``details`` hold codes only."""

    actor: str
    role: str
    action: str
    appeal_id: UUID | None
    outcome: str
    at: datetime
    details: dict[str, Any] = field(default_factory=dict)


async def record(conn: asyncpg.Connection, entries: list[AuditEntry]) -> None:
    """Write ``entries``; call inside the transaction of the decision's effect."""
    if entries:
        await conn.executemany(
            """INSERT INTO audit_trail (at, actor, role, action, appeal_id, outcome, details)
               VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)""",
            [(e.at, e.actor, e.role, e.action, e.appeal_id, e.outcome, json.dumps(e.details, default=str))
             for e in entries])


async def trail(conn: asyncpg.Connection, appeal_id: UUID) -> list[dict[str, Any]]:
    """An appeal's trail, oldest first, as JSON-ready rows."""
    rows = await conn.fetch(
        """SELECT at, actor, role, action, outcome, details FROM audit_trail
           WHERE appeal_id = $1 ORDER BY at, id""", appeal_id)
    return [{"at": r["at"].isoformat(), "actor": r["actor"], "role": r["role"], "action": r["action"],
             "outcome": r["outcome"], "details": json.loads(r["details"])} for r in rows]
