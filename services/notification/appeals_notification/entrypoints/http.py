"""Notification's read API for operators: an appeal's ledger and the backlog."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request

from appeals_notification.adapters.repository import PostgresLedger

router = APIRouter(prefix="/v1", tags=["notifications"])


@router.get("/appeals/{appeal_id}/notifications")
async def appeal_notifications(appeal_id: UUID, request: Request) -> list[dict[str, Any]]:
    """Every notice of the appeal with its status and attempts (no addresses, no texts)."""
    async with request.app.state.runtime.pool.acquire() as conn:
        return await PostgresLedger(conn).for_appeal(appeal_id)


@router.get("/deliveries/summary")
async def deliveries_summary(request: Request) -> list[dict[str, Any]]:
    """Counts per delivery channel and status, with the oldest row's age in seconds."""
    async with request.app.state.runtime.pool.acquire() as conn:
        return await PostgresLedger(conn).summary()
