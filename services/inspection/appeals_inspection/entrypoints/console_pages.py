"""The staff console's pages: the review queue and an answer's page with its verdicts, an
attachment, escalations, scorecards and the weekly report (HTML and CSV)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from appeals_inspection.handlers import reports
from appeals_inspection.adapters import report_render
from appeals_inspection.adapters.unit_of_work import PostgresUnitOfWork
from appeals_contracts.languages import ALMATY
from appeals_inspection.domain.figures import WeeklyReport, aged
from appeals_inspection.domain.report import Period, day_start, iso_week
from appeals_inspection.domain.review import Verdict, VerdictRefused
from appeals_inspection.entrypoints.http import decide_in_trace
from appeals_runtime.service import RuntimeDep
from appeals_inspection.entrypoints.console import (PAGE_SIZE, Inspector, Reader, StaffMember, UnitOfWork, _ctx,
                                                    _form, _page, _see_other, _settings)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console", include_in_schema=False)


# -- the review queue and an answer's page ---------------------------------------------------

def _optional(value: str | None) -> str | None:
    return value or None


@router.get("/queue")
async def queue(request: Request, user: Inspector, uow: UnitOfWork, runtime: RuntimeDep,
                executor: str | None = None, category: str | None = None, district: str | None = None,
                older_than_hours: Annotated[str | None, Query(max_length=12)] = None,
                after: Annotated[str | None, Query(max_length=40)] = None, done: str | None = None,
                number: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    now = runtime.clock.now()
    filters = {"executor": _optional(executor), "category": _optional(category), "district": _optional(district)}
    try:
        hours = float(older_than_hours) if older_than_hours else None
        if hours is not None and not 0 <= hours <= 100_000:
            raise ValueError
        cursor = datetime.fromisoformat(after) if after else None
        if cursor is not None and cursor.tzinfo is None:
            raise ValueError
    except ValueError:
        return _see_other("/console/queue")
    older_than = now - timedelta(hours=hours) if hours is not None else None
    rows = await uow.model.queue(**filters, older_than=older_than, after=cursor, limit=PAGE_SIZE + 1)
    waiting = await uow.model.count_waiting(**filters, older_than=older_than)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    kept = {k: v for k, v in {**filters, "older_than_hours": older_than_hours}.items() if v}
    next_url = f"/console/queue?{urlencode({**kept, 'after': rows[-1]['submitted_at'].isoformat()})}" if more else None
    notice = {"accepted": "accepted_notice", "returned": "returned_notice"}.get(done or "")
    return _page(request, "queue.html.j2", user.texts, user=user, rows=[aged(row, now) for row in rows],
                 waiting=waiting, filters=kept,
                 next_url=next_url, paged=cursor is not None, notice=notice, number=number)


async def _answer_page(request: Request, user: StaffMember, uow: PostgresUnitOfWork, answer_id: UUID, *,
                       error: str | None = None, status: int = 200, form: dict[str, str] | None = None) -> Response:
    answer = await uow.model.answer(answer_id)
    if answer is None:
        return _page(request, "not_found.html.j2", user.texts, user=user, status=404)
    history = await uow.model.history(answer["appeal_id"])
    assert history is not None  # an answer's appeal row is created with it
    ctx = _ctx(request)
    return _page(request, "answer.html.j2", user.texts, user=user, status=status, answer=answer,
                 appeal=history["appeal"], earlier=[a for a in history["answers"] if a["answer_id"] != answer_id],
                 timeline=await uow.model.timeline(answer["appeal_id"]),
                 audit=await uow.audit_trail(answer["appeal_id"]), error=error, form=form or {},
                 reasons=[(code, ctx.names_in(user.texts.language)["return_reasons"].get(code, code))
                          for code in sorted(ctx.return_reasons)],
                 attachments_linked=_settings(request).intake_url is not None)


@router.get("/answers/{answer_id}")
async def answer_page(answer_id: UUID, request: Request, user: Inspector, uow: UnitOfWork) -> Response:
    return await _answer_page(request, user, uow, answer_id)


async def _decide(request: Request, user: StaffMember, uow: PostgresUnitOfWork, runtime: Any, answer_id: UUID,
                  accept: bool) -> Response:
    form = await _form(request, user)
    comment = form.get("comment", "")
    if not accept and len(comment) > 2000:
        return await _answer_page(request, user, uow, answer_id, error="comment_too_long", status=422, form=form)
    verdict = Verdict(accept, user.caller.subject, None if accept else (form.get("reason_code") or None), comment)
    try:
        result = await decide_in_trace(uow, runtime, answer_id, verdict, _ctx(request).return_reasons)
    except VerdictRefused as refused:
        if refused.reason == "no such answer":
            return _page(request, "not_found.html.j2", user.texts, user=user, status=404)
        return await _answer_page(request, user, uow, answer_id, error="conflict" if refused.conflict else "reason_needed",
                                  status=409 if refused.conflict else 422, form=form)
    history = await uow.model.history(UUID(result["appeal_id"]))
    number = history["appeal"]["registration_number"] if history else ""
    return _see_other(f"/console/queue?{urlencode({'done': result['status'], 'number': number or ''})}")


@router.post("/answers/{answer_id}/accept")
async def accept(answer_id: UUID, request: Request, user: Inspector, uow: UnitOfWork,
                 runtime: RuntimeDep) -> Response:
    return await _decide(request, user, uow, runtime, answer_id, accept=True)


@router.post("/answers/{answer_id}/return")
async def return_answer(answer_id: UUID, request: Request, user: Inspector, uow: UnitOfWork,
                        runtime: RuntimeDep) -> Response:
    return await _decide(request, user, uow, runtime, answer_id, accept=False)


@router.get("/appeals/{appeal_id}/attachments/{attachment_id}")
async def attachment(appeal_id: UUID, attachment_id: UUID, request: Request, user: Inspector,
                     uow: UnitOfWork) -> Response:
    """A photo or document of the appeal, fetched from intake with the inspector's own token
    (intake decides again who may see it), served so that a browser never runs it."""
    history = await uow.model.history(appeal_id)
    files = [] if history is None else [*history["appeal"]["attachments"],
                                        *(f for answer in history["answers"] for f in answer["attachments"])]
    known = {f.attachment_id: f for f in files}
    intake = _settings(request).intake_url
    if attachment_id not in known or intake is None:
        return _page(request, "not_found.html.j2", user.texts, user=user, status=404)
    try:
        async with httpx.AsyncClient(timeout=20) as http:
            reply = await http.get(f"{intake.rstrip('/')}/v1/attachments/{attachment_id}",
                                   headers={"Authorization": f"Bearer {user.access_token}"})
    except httpx.HTTPError as exc:
        log.warning("attachment fetch from intake failed: %s", type(exc).__name__)
        return Response("intake is unavailable", status_code=502, media_type="text/plain")
    if reply.status_code != 200:
        return Response(f"intake answered {reply.status_code}", status_code=502 if reply.status_code >= 500 else 404,
                        media_type="text/plain")
    return Response(reply.content, media_type=known[attachment_id].content_type, headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox", "Content-Disposition": "inline"})


# -- escalations, scorecards and the weekly report -----------------------------------------

@router.get("/escalations")
async def escalations(request: Request, user: Reader, uow: UnitOfWork, runtime: RuntimeDep) -> Response:
    rows = await uow.model.escalations(open_only=True, now=runtime.clock.now())
    rows.sort(key=lambda r: -r["age_hours"])
    return _page(request, "escalations.html.j2", user.texts, user=user, rows=rows)


def _almaty_today(now: datetime) -> date:
    return now.astimezone(ALMATY).date()


@router.get("/scorecards")
async def scorecards(request: Request, user: Reader, uow: UnitOfWork, runtime: RuntimeDep,
                     start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
                     end: Annotated[str | None, Query(alias="to", max_length=10)] = None) -> Response:
    now = runtime.clock.now()
    today = _almaty_today(now)
    error = None
    try:
        first = date.fromisoformat(start) if start else today - timedelta(days=6)
        last = date.fromisoformat(end) if end else today
    except ValueError:
        first, last, error = today - timedelta(days=6), today, "period_invalid"
    if last < first:
        error = "period_invalid"
    cards = [] if error else await reports.scorecards(
        uow.model, Period(day_start(first), day_start(last + timedelta(days=1))), now,
        _ctx(request).names_in(user.texts.language)["executors"])
    return _page(request, "scorecards.html.j2", user.texts, user=user, cards=cards, first=first, last=last,
                 error=error, status=422 if error else 200)


def _current_week(now: datetime) -> str:
    year, week, _ = _almaty_today(now).isocalendar()
    return f"{year}-W{week:02d}"


async def _weekly(request: Request, uow: PostgresUnitOfWork, now: datetime, week: str,
                  language: str) -> WeeklyReport:
    year, number = iso_week(week)
    ctx = _ctx(request)
    return await reports.weekly(uow.model, year, number, now=now, names=ctx.names_in(language),
                                overdue_limit=ctx.overdue_limit)


@router.get("/reports/weekly")
async def weekly(request: Request, user: Reader, uow: UnitOfWork, runtime: RuntimeDep,
                 week: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    now = runtime.clock.now()
    chosen = week or _current_week(now)
    try:
        report = await _weekly(request, uow, now, chosen, user.texts.language)
    except ValueError:
        return _page(request, "report.html.j2", user.texts, user=user, week=chosen, r=None, charts={},
                     error="week_invalid", status=422)
    names = _ctx(request).names_in(user.texts.language)
    charts = await asyncio.to_thread(report_render.charts, report, names, user.texts)
    return _page(request, "report.html.j2", user.texts, user=user, week=chosen, r=report, charts=charts, error=None)


@router.get("/reports/weekly/{week}/csv")
async def weekly_csv(week: str, request: Request, user: Reader, uow: UnitOfWork, runtime: RuntimeDep) -> Response:
    try:
        report = await _weekly(request, uow, runtime.clock.now(), week, user.texts.language)
    except ValueError:
        return _page(request, "report.html.j2", user.texts, user=user, week=week, r=None, charts={},
                     error="week_invalid", status=422)
    return Response(report_render.csv_text(report), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="weekly-{week}.csv"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})
