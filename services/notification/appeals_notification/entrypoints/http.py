"""Notification's read API for operators: an appeal's ledger and the backlog."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter

from appeals_notification.adapters.unit_of_work import PostgresUnitOfWork
from appeals_runtime.auth import allow
from appeals_runtime.service import UnitOfWorkDep

UnitOfWork = Annotated[PostgresUnitOfWork, UnitOfWorkDep]

router = APIRouter(prefix="/v1", tags=["notifications"])


@router.get("/appeals/{appeal_id}/notifications", dependencies=[allow("sre", "inspector")])
async def appeal_notifications(appeal_id: UUID, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every notice of the appeal with its status and attempts (no addresses, no texts)."""
    return await uow.ledger.for_appeal(appeal_id)


@router.get("/deliveries/summary", dependencies=[allow("sre")])
async def deliveries_summary(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Counts per delivery channel and status, with the oldest row's age in seconds."""
    return await uow.ledger.summary()
