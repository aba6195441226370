"""Inspectors' HTTP API: the queue, an appeal's history, verdicts, escalations, scorecards
and the weekly report (JSON, HTML, CSV)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from opentelemetry import context as otel_context
from pydantic import BaseModel, ConfigDict, Field

from appeals_inspection import handlers
from appeals_inspection.handlers import reports
from appeals_inspection.adapters import report_render
from appeals_inspection.adapters.unit_of_work import PostgresUnitOfWork
from appeals_inspection.domain.figures import EscalationRow, PublicWeek, QueueEntry, Scorecard, WeeklyReport, aged
from appeals_inspection.domain.history import AppealHistory
from appeals_inspection.domain.report import Period, day_start, iso_week
from appeals_inspection.domain.merges import Why
from appeals_inspection.domain.review import Verdict, VerdictRefused
from appeals_runtime.auth import PUBLIC, Caller, allow
from appeals_runtime.responses import INVALID, NOT_FOUND, Responses, refusal
from appeals_runtime.service import Runtime, RuntimeDep, UnitOfWorkDep
from appeals_runtime.telemetry import within_appeal_trace

router = APIRouter(prefix="/v1", tags=["inspection"])
#: A reference-data code (executor, category, district): an unknown one matches nothing.
Code = Annotated[str | None, Query(pattern="^[a-z][a-z0-9_]{0,63}$", description="A code of the reference data")]
#: An ISO week, e.g. 2026-W48.
#: The platform's years: a week of year 0002 began in year 0001, before anything PostgreSQL and
#: Python can both hold in Almaty's time (and before any appeal).
Week = Annotated[str, Path(pattern="^20[0-9]{2}-W(0[1-9]|[1-4][0-9]|5[0-3])$",
                           description="An ISO week of 2000-2099, e.g. 2026-W48")]
UnitOfWork = Annotated[PostgresUnitOfWork, UnitOfWorkDep]
Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class InspectionContext:
    """What the routes need besides the runtime: configuration and reference names."""

    return_reasons: frozenset[str]
    #: language → table (executors, categories, channels, kinds, districts, return_reasons) → code → name
    names_by_language: dict[str, dict[str, dict[str, str]]]
    overdue_limit: int
    report_language: str  # the API's HTML and CSV report

    @property
    def names(self) -> dict[str, dict[str, str]]:
        """The names in the report's language."""
        return self.names_by_language[self.report_language]

    def names_in(self, language: str) -> dict[str, dict[str, str]]:
        return self.names_by_language.get(language, self.names)


class AcceptBody(BaseModel):
    """The inspector is the token's subject: a body may not name anyone."""

    model_config = ConfigDict(extra="forbid")


class ReturnBody(AcceptBody):
    reason_code: str = Field(description="One of GET /v1/return-reasons")
    comment: str = Field("", max_length=2000)


def _ctx(request: Request) -> InspectionContext:
    return request.app.state.inspection


async def decide_in_trace(uow: PostgresUnitOfWork, runtime: Runtime[Any], answer_id: UUID, verdict: Verdict,
                          return_reasons: frozenset[str]) -> handlers.VerdictGiven:
    """The verdict use case, the inspector's request joining the appeal's trace so that the
    verdict's effects are in it too (the API and the console both decide through here)."""
    appeal_trace = await uow.kept_trace(answer_id)
    with within_appeal_trace(appeal_trace, "inspection verdict", otel_context.get_current()):
        return await handlers.decide(uow, answer_id, verdict, return_reasons=return_reasons, now=runtime.clock.now())


async def _verdict(request: Request, uow: PostgresUnitOfWork, runtime: RuntimeDep, answer_id: UUID,
                   verdict: Verdict) -> handlers.VerdictGiven:
    try:
        return await decide_in_trace(uow, runtime, answer_id, verdict, _ctx(request).return_reasons)
    except VerdictRefused as refused:
        status = 409 if refused.conflict else (404 if refused.reason == "no such answer" else 422)
        raise HTTPException(status, refused.reason) from None


VERDICT: Responses = {404: refusal("No such answer"), 409: refusal("The answer is no longer waiting for review"),
           422: refusal("Refused, with the reason")}


@router.post("/answers/{answer_id}/accept", responses=VERDICT)
async def accept(answer_id: UUID, inspector: Annotated[Caller, allow("inspector")], request: Request,
                 uow: UnitOfWork, runtime: RuntimeDep, body: AcceptBody | None = None) -> handlers.VerdictGiven:
    """The answer goes to the citizen. 409 when the answer is not waiting for review."""
    return await _verdict(request, uow, runtime, answer_id, Verdict(True, inspector.subject))


@router.post("/answers/{answer_id}/return", responses=VERDICT)
async def return_answer(answer_id: UUID, inspector: Annotated[Caller, allow("inspector")], body: ReturnBody,
                        request: Request, uow: UnitOfWork, runtime: RuntimeDep) -> handlers.VerdictGiven:
    """Back to the executor for rework, with a reason; the deadline keeps running."""
    return await _verdict(request, uow, runtime, answer_id,
                          Verdict(False, inspector.subject, body.reason_code, body.comment))


class MergeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: UUID = Field(description="The original: the appeal the duplicate joins")


MERGE: Responses = {403: refusal("An executor that does not hold both appeals"), 404: refusal("No such appeal"),
         409: refusal("Not open (or not merged, or the original already answered)"),
         422: refusal("Into itself, or another category")}


#: What each of the merge rules' refusals answers over HTTP.
MERGE_STATUS: dict[Why, int] = {"into_itself": 422, "other_category": 422, "unknown": 404, "not_held": 403,
                                "not_linked": 403, "not_open": 409, "original_not_open": 409, "not_merged": 409,
                                "original_answered": 409}


async def _merging(action: Callable[..., Awaitable[Outcome]], *args: UUID, caller: Caller, uow: PostgresUnitOfWork,
                   runtime: Runtime[Any]) -> Outcome:
    by = handlers.Decider(caller.subject, "inspector" if "inspector" in caller.roles else "executor",
                          caller.executor_code)
    try:
        return await action(uow, *args, by=by, now=runtime.clock.now())
    except handlers.MergeRefused as refused:
        raise HTTPException(MERGE_STATUS[refused.refusal.why], refused.refusal.reason) from None


@router.post("/appeals/{appeal_id}/merge", responses=MERGE)
async def merge(appeal_id: UUID, body: MergeBody, caller: Annotated[Caller, allow("inspector", "executor")],
                uow: UnitOfWork, runtime: RuntimeDep) -> handlers.Merged:
    """Merge the duplicate ``appeal_id`` into ``into``: it closes as merged (its deadline stops,
    never counted late) and its citizen is told, and later gets the original's answer."""
    return await _merging(handlers.merge, appeal_id, body.into, caller=caller, uow=uow, runtime=runtime)


@router.post("/appeals/{appeal_id}/unmerge", responses=MERGE)
async def unmerge(appeal_id: UUID, caller: Annotated[Caller, allow("inspector", "executor")], uow: UnitOfWork,
                  runtime: RuntimeDep) -> handlers.Unmerged:
    """Undo a merge before the original is answered: open again, its deadline running."""
    return await _merging(handlers.unmerge, appeal_id, caller=caller, uow=uow, runtime=runtime)


STAFF = allow("inspector")
READERS = allow("inspector", "akim_office")


@router.get("/return-reasons", dependencies=[STAFF])
async def return_reasons(request: Request) -> list[str]:
    return sorted(_ctx(request).return_reasons)


@router.get("/queue", dependencies=[STAFF])
async def queue(uow: UnitOfWork, runtime: RuntimeDep, executor: Code = None, category: Code = None,
                district: Code = None,
                min_age_hours: Annotated[float | None, Query(ge=0, le=100_000, description="At most about 11 years")] = None,
                after: datetime | None = Query(None, description="submitted_at of the last row of the previous page"),
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[QueueEntry]:
    """Answers waiting for review, oldest first."""
    now = runtime.clock.now()
    older_than = now - timedelta(hours=min_age_hours) if min_age_hours is not None else None
    rows = await uow.model.queue(executor=executor, category=category, district=district,
                                 older_than=older_than, after=after, limit=limit)
    return [aged(row, now) for row in rows]


@router.get("/appeals/{appeal_id}", dependencies=[STAFF], responses=NOT_FOUND)
async def appeal_history(appeal_id: UUID, uow: UnitOfWork) -> AppealHistory:
    """The appeal as inspection sees it: facts, assignments, every answer with its verdict, escalation."""
    history = await uow.model.history(appeal_id)
    if history is None:
        raise HTTPException(404, "inspection knows no such appeal")
    return history


@router.get("/appeals/{appeal_id}/audit", dependencies=[STAFF])
async def appeal_audit(appeal_id: UUID, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every verdict on the appeal's answers: who (the inspector's id), when, what, the outcome."""
    return await uow.audit_trail(appeal_id)


@router.get("/escalations", dependencies=[READERS])
async def escalations(uow: UnitOfWork, runtime: RuntimeDep,
                      state: Literal["open", "all"] = "open") -> list[EscalationRow]:
    """Escalations opened by breached deadlines, with their age in hours."""
    rows = await uow.model.escalations(open_only=state == "open", now=runtime.clock.now())
    for row in rows:
        row["age_hours"] = round(row["age_hours"], 2)
    return rows


@router.get("/scorecards", dependencies=[READERS], responses=INVALID)
async def scorecards(request: Request, uow: UnitOfWork, runtime: RuntimeDep, start: date = Query(alias="from"),
                     end: date = Query(alias="to")) -> list[Scorecard]:
    """Per executor for the Almaty days ``from`` … ``to`` (inclusive), best timeliness first."""
    if end < start:
        return []  # an empty period: no executor has anything in it
    return await reports.scorecards(uow.model, Period(day_start(start), day_start(end + timedelta(days=1))),
                                    runtime.clock.now(), _ctx(request).names["executors"])


@router.get("/executors/{executor_code}/scorecard", responses={**INVALID, 403: refusal("Not this executor's head")})
async def executor_scorecard(executor_code: str, request: Request, caller: Annotated[Caller, allow("executor_head")],
                             uow: UnitOfWork, runtime: RuntimeDep, start: date = Query(alias="from"),
                             end: date = Query(alias="to")) -> Scorecard:
    """The executor's own card with its employees' figures, for the organisation's head: the same
    figures the inspectors' scorecards show, and nobody else's."""
    if not caller.is_executor_of(executor_code):
        raise HTTPException(403, "a head sees only their own organisation's figures")
    cards = [] if end < start else await reports.scorecards(
        uow.model, Period(day_start(start), day_start(end + timedelta(days=1))), runtime.clock.now(),
        _ctx(request).names["executors"])
    mine = [c for c in cards if c["executor_code"] == executor_code]
    return mine[0] if mine else reports.no_activity(executor_code, _ctx(request).names["executors"])


def _iso_week(week: str) -> tuple[int, int]:
    try:
        return iso_week(week)
    except ValueError:  # the form is checked by the path's pattern: a week 53 the year does not have
        raise HTTPException(404, f"{week[:4]} has no week {week[6:]}") from None


async def _weekly(request: Request, uow: PostgresUnitOfWork, runtime: RuntimeDep, week: str) -> WeeklyReport:
    year, number = _iso_week(week)
    ctx = _ctx(request)
    return await reports.weekly(uow.model, year, number, now=runtime.clock.now(), names=ctx.names,
                                overdue_limit=ctx.overdue_limit)


async def render_html(report: WeeklyReport, names: dict[str, dict[str, str]], language: str = "en") -> str:
    """The report page. Its charts take a while to draw: in a worker thread, so the consumers
    and the outbox relay of this process go on meanwhile."""
    return await asyncio.to_thread(report_render.html, report, names, language)


@router.get("/reports/weekly/{week}", dependencies=[READERS], responses={**INVALID, **NOT_FOUND})
async def weekly_json(week: Week, request: Request, uow: UnitOfWork, runtime: RuntimeDep) -> WeeklyReport:
    """The weekly report for an ISO week, e.g. ``2026-W48``."""
    return await _weekly(request, uow, runtime, week)


@router.get("/public/weekly/{week}", dependencies=[PUBLIC], responses={**INVALID, **NOT_FOUND},
            summary="The week's figures as the city publishes them (no appeal, no person)")
async def public_weekly(week: Week, request: Request, uow: UnitOfWork, runtime: RuntimeDep) -> PublicWeek:
    """Appeals received by category, kind and channel, the top five categories, and each
    organisation's answers on time: what the citizen's portal shows everyone."""
    year, number = _iso_week(week)
    return await reports.public_week(uow.model, year, number, now=runtime.clock.now(), names=_ctx(request).names)


@router.get("/reports/weekly/{week}/html", response_class=HTMLResponse, dependencies=[READERS],
            responses={**INVALID, **NOT_FOUND})
async def weekly_html(week: Week, request: Request, uow: UnitOfWork, runtime: RuntimeDep) -> HTMLResponse:
    ctx = _ctx(request)
    return HTMLResponse(await render_html(await _weekly(request, uow, runtime, week), ctx.names, ctx.report_language))


class CsvResponse(PlainTextResponse):
    media_type = "text/csv"


@router.get("/reports/weekly/{week}/csv", response_class=CsvResponse, dependencies=[READERS],
            responses={**INVALID, **NOT_FOUND})
async def weekly_csv(week: Week, request: Request, uow: UnitOfWork, runtime: RuntimeDep) -> CsvResponse:
    return CsvResponse(report_render.csv_text(await _weekly(request, uow, runtime, week)),
                       headers={"Content-Disposition": f'attachment; filename="weekly-{week}.csv"'})
