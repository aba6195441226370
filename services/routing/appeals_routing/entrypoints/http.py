"""Routing's read API: an appeal's assignment history, an executor's open assignments."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from appeals_routing import handlers
from appeals_routing.adapters.events import case
from appeals_routing.adapters.unit_of_work import PostgresUnitOfWork
from appeals_routing.domain.model import Employee
from appeals_runtime.auth import Caller, allow
from appeals_runtime.responses import NOT_FOUND, refusal
from appeals_runtime.service import RuntimeDep, UnitOfWorkDep

UnitOfWork = Annotated[PostgresUnitOfWork, UnitOfWorkDep]


class AssigneeBody(BaseModel):
    employee_id: str = Field(min_length=1, max_length=200, description="The employee to be responsible (the "
                             "caller's own subject to take the appeal; the head may name another employee)")


def _employee(caller: Caller, executor_code: str) -> Employee:
    """The calling employee as their verified token names them; another executor's is refused."""
    if not caller.is_executor_of(executor_code):
        raise HTTPException(403, "an employee acts only for their own executor")
    return Employee(executor_code, caller.subject, caller.name, head="executor_head" in caller.roles)


def _employee_json(e: Employee) -> dict[str, Any]:
    return {"employee_id": e.employee_id, "name": e.name, "head": e.head}


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


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
        details = await uow.routing.workspace_details(appeal_id)
        entries = await uow.routing.history(appeal_id)
        return {"appeal_id": str(state.appeal_id), "registration_number": state.registration_number,
                "executor_code": state.executor, "status": state.status, "category": state.category,
                "district": state.district, "case": full.model_dump(mode="json"),
                "possible_duplicates": await uow.routing.possible_duplicates(appeal_id),
                "re_appeals": [{**r, "appeal_id": str(r["appeal_id"])} for r in details["re_appeals"]],
                "assignee": None if not details.get("assignee_id") else {
                    "employee_id": details["assignee_id"], "name": details["assignee_name"],
                    "since": _iso(details["assignee_since"])},
                "returned": None if not details.get("returned_at") else {
                    "reason_code": details["returned_reason"], "comment": details["returned_comment"],
                    "at": _iso(details["returned_at"])},
                "deadline_policy": details.get("policy_code"),
                "answers": [{k: str(v) if k == "answer_id" else _iso(v) for k, v in a.items()}
                            for a in details["answers"]],
                "assignments": [{"executor_code": a.executor, "previous_executor_code": a.previous_executor,
                                 "reason": a.reason, "note": a.note, "assigned_at": a.assigned_at.isoformat()}
                                for a in entries]}

    @api.get("/executors/{executor_code}/queue", summary="The executor's open appeals as its employees work them",
             description="Returned answers first (with the inspector's reason), then by due time; filtered by "
                         "category, district, assignee (an employee id, or empty for nobody yet) and due "
                         "(`overdue`, or `day`: due within a day); a page at a time.",
             responses={403: refusal("The token is another executor's")})
    async def queue(executor_code: str, caller: Annotated[Caller, allow("executor", "inspector")],
                    uow: UnitOfWork, runtime: RuntimeDep, category: str | None = Query(None, max_length=100),
                    district: str | None = Query(None, max_length=100),
                    assignee: str | None = Query(None, max_length=200),
                    due: str | None = Query(None, pattern="^(overdue|day)$"),
                    page: int = Query(1, ge=1, le=10_000), size: int = Query(25, ge=1, le=200)) -> dict[str, Any]:
        if "inspector" not in caller.roles and not caller.is_executor_of(executor_code):
            raise HTTPException(403, "an executor sees only its own queue")
        rows, total = await uow.routing.queue(executor_code, category=category, district=district, assignee=assignee,
                                              due=due, now=runtime.clock.now(), limit=size, offset=(page - 1) * size)
        return {"executor_code": executor_code, "total": total, "page": page, "size": size,
                "items": [{k: str(v) if k == "appeal_id" else _iso(v) for k, v in r.items()} for r in rows]}

    @api.post("/executors/{executor_code}/employees/me", summary="The calling employee, known from now on",
              description="The workspace calls it at sign-in: the employee (the token's subject and name, and "
                          "whether it carries `executor_head`) is known to the executor's head from then on.",
              responses={403: refusal("The token is another executor's")})
    async def employee_seen(executor_code: str, caller: Annotated[Caller, allow("executor")], uow: UnitOfWork,
                            runtime: RuntimeDep) -> dict[str, Any]:
        me = _employee(caller, executor_code)
        await handlers.employee_seen(uow, me, now=runtime.clock.now())
        return _employee_json(me)

    @api.get("/executors/{executor_code}/employees", summary="The executor's employees who have signed in",
             responses={403: refusal("The token is another executor's")})
    async def employees(executor_code: str, caller: Annotated[Caller, allow("executor")],
                        uow: UnitOfWork) -> list[dict[str, Any]]:
        _employee(caller, executor_code)
        return [_employee_json(e) for e in await uow.routing.employees_of(executor_code)]

    @api.put("/executors/{executor_code}/appeals/{appeal_id}/assignee",
             summary="Make an employee responsible for the appeal: take it, or (the head) give it",
             responses={**NOT_FOUND, 403: refusal("The token is another executor's"),
                        409: refusal("Refused: not the caller's to give, or the appeal is not open with the "
                                     "executor")})
    async def set_assignee(executor_code: str, appeal_id: UUID, body: AssigneeBody,
                           caller: Annotated[Caller, allow("executor")], uow: UnitOfWork,
                           runtime: RuntimeDep) -> dict[str, Any]:
        actor = _employee(caller, executor_code)
        current = await uow.routing.current(appeal_id)
        if current is None or current[1] != executor_code:
            raise HTTPException(404, f"{executor_code} holds no appeal {appeal_id}")
        refused = await handlers.set_assignee(uow, appeal_id, executor_code, actor=actor,
                                              employee_id=body.employee_id, now=runtime.clock.now())
        if refused is not None:
            raise HTTPException(409, refused)
        return {"appeal_id": str(appeal_id), "employee_id": body.employee_id}

    @api.get("/executors/{executor_code}/appeals/{appeal_id}/actions/{action_id}",
             summary="What routing made of an action the executor sent: pending, done or refused (and why)",
             responses={403: refusal("The token is another executor's")})
    async def action_outcome(executor_code: str, appeal_id: UUID, action_id: UUID,
                             caller: Annotated[Caller, allow("executor")], uow: UnitOfWork) -> dict[str, Any]:
        _employee(caller, executor_code)
        found = await uow.routing.action_outcome(appeal_id, action_id)
        if found is None or found["executor_code"] != executor_code:
            return {"action_id": str(action_id), "state": "pending"}
        outcome = str(found["outcome"])
        refused = outcome.startswith("refused: ")
        return {"action_id": str(action_id), "state": "refused" if refused else "done",
                "outcome": outcome.removeprefix("refused: "), "at": _iso(found["at"])}

    return api
