"""Routing's read API: an appeal's assignment history, an executor's open assignments."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query

from appeals_routing.adapters.events import case
from appeals_routing.adapters.unit_of_work import PostgresUnitOfWork
from appeals_runtime.auth import Caller, allow
from appeals_runtime.responses import NOT_FOUND, refusal
from appeals_runtime.service import UnitOfWorkDep

UnitOfWork = Annotated[PostgresUnitOfWork, UnitOfWorkDep]


def router() -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["routing"])

    @api.get("/appeals/{appeal_id}/assignments", summary="An appeal's assignment history, oldest first",
             responses=NOT_FOUND)
    async def history(appeal_id: UUID, caller: Annotated[Caller, allow("operator", "inspector", "executor")],
                      uow: UnitOfWork) -> dict[str, Any]:
        """An executor sees only appeals it holds or held; any other is answered like an unknown one."""
        current = await uow.routing.current(appeal_id)
        entries = await uow.routing.history(appeal_id)
        staff = caller.roles & {"operator", "inspector"}
        if current is None or not (staff or any(caller.is_executor_of(a.executor) for a in entries)):
            raise HTTPException(404, f"routing knows no appeal {appeal_id}")
        status, executor = current
        return {"appeal_id": str(appeal_id), "status": status, "executor_code": executor,
                "assignments": [{"executor_code": a.executor, "previous_executor_code": a.previous_executor,
                                 "reason": a.reason, "rule_id": a.rule_id, "rule_set_version": a.rule_set_version,
                                 "assigned_at": a.assigned_at.isoformat()} for a in entries]}

    @api.get("/appeals/{appeal_id}/audit", summary="Executors' actions on the appeal: who, when, what, the outcome",
             dependencies=[allow("inspector")])
    async def audit(appeal_id: UUID, uow: UnitOfWork) -> list[dict[str, Any]]:
        return await uow.audit_trail(appeal_id)

    @api.get("/executors/{executor_code}/assignments", summary="An executor's open assignments, paginated",
             responses=NOT_FOUND)
    async def open_assignments(executor_code: str, caller: Annotated[Caller, allow("executor", "inspector")],
                               uow: UnitOfWork, limit: int = Query(50, ge=1, le=500),
                               after: UUID | None = Query(None, description="appeal_id of the last item of the previous page")
                               ) -> dict[str, Any]:
        if "inspector" not in caller.roles and not caller.is_executor_of(executor_code):
            raise HTTPException(403, "an executor sees only its own assignments")
        if not await uow.routing.executor_exists(executor_code):
            raise HTTPException(404, f"unknown executor {executor_code}")
        items = await uow.routing.open_assignments(executor_code, limit=limit, after=after)
        return {"executor_code": executor_code,
                "items": [{"appeal_id": str(s.appeal_id), "registration_number": s.registration_number,
                           "category": s.category, "district": s.district, "status": s.status} for s in items],
                "next_after": str(items[-1].appeal_id) if len(items) == limit else None}

    @api.get("/executors/{executor_code}/appeals/{appeal_id}",
             summary="The whole case of an appeal the executor holds: text, place, contact, due time",
             description="What the executor needs to answer the citizen, as `appeal.assigned` carries it in "
                         "`case`, with the latest due time. Only the executor holding the appeal (and "
                         "inspectors) may read it: it carries personal data.",
             responses={**NOT_FOUND, 403: refusal("The token is another executor's")})
    async def appeal_case(executor_code: str, appeal_id: UUID,
                          caller: Annotated[Caller, allow("executor", "inspector")], uow: UnitOfWork) -> dict[str, Any]:
        if "inspector" not in caller.roles and not caller.is_executor_of(executor_code):
            raise HTTPException(403, "an executor reads only the cases it holds")
        state = await uow.routing.case_of(appeal_id)
        if state is None or state.executor != executor_code or state.case is None:
            raise HTTPException(404, f"{executor_code} holds no appeal {appeal_id}")
        full = case(state)
        assert full is not None
        return {"appeal_id": str(state.appeal_id), "registration_number": state.registration_number,
                "executor_code": state.executor, "status": state.status, "category": state.category,
                "district": state.district, "case": full.model_dump(mode="json"),
                "possible_duplicates": await uow.routing.possible_duplicates(appeal_id)}

    return api
