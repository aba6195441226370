"""The staff console: server-rendered pages for inspectors and the akim's office under
``/console``, in Kazakh, Russian and English.

Sign-in is OpenID Connect's authorization code flow with PKCE against ``OIDC_ISSUER``; the
access token that comes back is verified like any bearer token, and the console keeps a
session of its own (a random cookie, ``__Host-`` prefixed, ``Secure``, ``HttpOnly``,
``SameSite=Lax``; the table keeps its SHA-256). Every route declares its roles with
:class:`ConsoleAccess`, the session's counterpart of :func:`appeals_runtime.auth.allow`;
every form carries the session's CSRF token. The pages read what the JSON API reads, and a
verdict goes through the same use case (:func:`appeals_inspection.handlers.decide`).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

import httpx
import jinja2
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from appeals_inspection import reports
from appeals_inspection.adapters import report_render
from appeals_runtime.oidc import OidcClient, SignInFailed, new_state, new_verifier
from appeals_inspection.adapters.console_sessions import Session
from appeals_inspection.adapters.unit_of_work import PostgresUnitOfWork
from appeals_inspection.domain.console import LANGUAGE_NAMES, LANGUAGES, Texts, choose_language
from appeals_inspection.domain.report import ALMATY, Period, day_start, iso_week
from appeals_inspection.domain.review import Verdict, VerdictRefused
from appeals_inspection.entrypoints.http import InspectionContext, decide_in_trace
from appeals_runtime.auth import PUBLIC, Access, Caller, Unauthenticated
from appeals_runtime.pages import REFRESH_MARGIN_S
from appeals_runtime.service import RuntimeDep, UnitOfWorkDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console", include_in_schema=False)
UnitOfWork = Annotated[PostgresUnitOfWork, UnitOfWorkDep]

SESSION_COOKIE = "__Host-console"
SIGN_IN_COOKIE = "__Host-console-sign-in"
STAFF_ROLES = frozenset({"inspector", "akim_office"})
PAGE_SIZE = 25

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("appeals_inspection", "templates"),
                          autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)

#: Nothing is fetched from elsewhere at view time; forms post to the console only.
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class ConsoleSettings:
    """What the console needs besides the inspection context."""

    oidc: OidcClient
    session_hours: float
    intake_url: str | None
    default_language: str


@dataclass(frozen=True)
class StaffMember:
    """The signed-in caller of a console route, with the session's CSRF token and language."""

    caller: Caller
    name: str | None
    csrf_token: str
    access_token: str
    texts: Texts

    def may(self, *roles: str) -> bool:
        return bool(self.caller.roles & set(roles))


class SignInNeeded(Exception):
    """No session: the browser goes to the console's front page to sign in."""


class Refused(Exception):
    """A signed-in user whose role may not see the page (403), in the user's language."""

    def __init__(self, texts: Texts) -> None:
        self.texts = texts


class ConsoleAccess(Access):
    """A console route's declared roles, checked against the session instead of a bearer token
    (the same declaration the route × role table in docs/security.md is checked against)."""

    async def __call__(self, request: Request) -> StaffMember:  # type: ignore[override]
        token = request.cookies.get(SESSION_COOKIE)
        session = None
        if token:
            runtime = request.app.state.runtime
            async with runtime.unit_of_work() as uow:
                session = await uow.console.session(token, runtime.clock.now())
            if session is not None:
                session = await _renewed(request, token, session, runtime.clock.now())
        if session is None:
            raise SignInNeeded()
        texts = Texts(session.language or _settings(request).default_language)
        if not session.roles & self.roles:
            raise Refused(texts)
        caller = Caller(session.subject, session.roles, session.executor_code)
        request.state.caller = caller
        return StaffMember(caller, session.name, session.csrf_token, session.access_token, texts)


async def _renewed(request: Request, token: str, session: Session, now: datetime) -> Session | None:
    """The session, its access token renewed with its refresh token when less than
    :data:`~appeals_runtime.pages.REFRESH_MARGIN_S` is left; None (and the session forgotten)
    when the IdP refuses: the user was disabled, or the session ended there."""
    if (session.refresh_token is None or session.token_expires_at is None
            or (session.token_expires_at - now).total_seconds() > REFRESH_MARGIN_S):
        return session
    runtime = request.app.state.runtime
    try:
        grant = await _settings(request).oidc.refresh(session.refresh_token)
        caller = await runtime.verifier.verify_async(grant.access_token)
        if caller.subject != session.subject:
            raise SignInFailed("the renewed token names another person")
    except (SignInFailed, Unauthenticated) as refused:
        log.info("a console session ends: %s", refused)
        async with runtime.unit_of_work() as uow:
            await uow.console.close_session(token)
        return None
    name = caller.claims.get("name")
    renewed = replace(session, name=name if isinstance(name, str) else None, roles=caller.roles,
                      executor_code=caller.executor_code, access_token=grant.access_token,
                      refresh_token=grant.refresh_token or session.refresh_token,
                      token_expires_at=_token_expiry(caller))
    async with runtime.unit_of_work() as uow:
        await uow.console.renew_session(token, name=renewed.name, roles=renewed.roles,
                                        executor_code=renewed.executor_code, access_token=renewed.access_token,
                                        refresh_token=renewed.refresh_token, token_expires_at=renewed.token_expires_at)
    return renewed


def _token_expiry(caller: Caller) -> datetime | None:
    exp = caller.claims.get("exp")
    return datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None


def console(*roles: str) -> Any:
    """The console's counterpart of :func:`appeals_runtime.auth.allow`."""
    return Depends(ConsoleAccess(frozenset(roles)))


Inspector = Annotated[StaffMember, console("inspector")]
Reader = Annotated[StaffMember, console("inspector", "akim_office")]


def _ctx(request: Request) -> InspectionContext:
    return request.app.state.inspection


def _settings(request: Request) -> ConsoleSettings:
    return request.app.state.console


def _page(request: Request, template: str, texts: Texts, *, user: StaffMember | None = None, status: int = 200,
          **values: Any) -> HTMLResponse:
    names = _ctx(request).names_in(texts.language)
    body = _ENV.get_template(f"console/{template}").render(
        t=texts, user=user, names=names, languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""), **values)
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax")


def _forget(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="lax")


async def _form(request: Request, user: StaffMember) -> dict[str, str]:
    """The posted form, once its CSRF token is the session's; else :class:`CsrfRefused`."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), user.csrf_token.encode()):
        raise CsrfRefused(user.texts)
    return form


class CsrfRefused(Exception):
    def __init__(self, texts: Texts) -> None:
        self.texts = texts


def _front_page_for(roles: frozenset[str]) -> str:
    return "/console/queue" if "inspector" in roles else "/console/reports/weekly"


# -- signing in and out -------------------------------------------------------------------

@router.get("/", dependencies=[PUBLIC])
async def front(request: Request, lang: str | None = None, failed: bool = False) -> Response:
    """Signed in: the user's first page. Otherwise the sign-in button."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with request.app.state.runtime.unit_of_work() as uow:
            session = await uow.console.session(token, request.app.state.runtime.clock.now())
        if session is not None and session.roles & STAFF_ROLES:
            return _see_other(_front_page_for(session.roles))
    texts = Texts(choose_language(lang, request.headers.get("accept-language"),
                                  default=_settings(request).default_language))
    return _page(request, "sign_in.html.j2", texts, failed=failed, status=400 if failed else 200)


@router.get("/sign-in", dependencies=[PUBLIC])
async def sign_in(request: Request, uow: UnitOfWork) -> Response:
    """Start the authorization code flow: a state bound to this browser (a cookie), the PKCE
    verifier kept here, the browser sent to the IdP."""
    state, verifier = new_state(), new_verifier()
    try:
        target = await _settings(request).oidc.authorization_url(state, verifier)
    except SignInFailed as failed:
        log.warning("console sign-in cannot start: %s", failed)
        return _see_other("/console/?failed=1")
    await uow.console.begin_sign_in(state, verifier, request.app.state.runtime.clock.now())
    response = _see_other(target)
    _cookie(response, SIGN_IN_COOKIE, state, max_age=600)
    return response


@router.get("/callback", dependencies=[PUBLIC])
async def callback(request: Request, uow: UnitOfWork, code: str = "", state: str = "") -> Response:
    """The IdP's redirect back: the state must be this browser's, the code redeems once with
    the verifier, and the access token must verify and name a staff role."""
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    now = request.app.state.runtime.clock.now()
    verifier = None
    if code and state and expected and hmac.compare_digest(expected.encode(), state.encode()):
        verifier = await uow.console.finish_sign_in(state, now)
    if verifier is None:
        log.warning("console sign-in refused: unknown or foreign state")
        return _failed_sign_in()
    settings = _settings(request)
    try:
        grant = await settings.oidc.exchange(code, verifier)
        caller = await request.app.state.runtime.verifier.verify_async(grant.access_token)
    except (SignInFailed, Unauthenticated) as refused:
        log.warning("console sign-in refused: %s", refused)
        return _failed_sign_in()
    if not caller.roles & STAFF_ROLES:
        texts = Texts(choose_language(request.headers.get("accept-language"), default=settings.default_language))
        response = _page(request, "refused.html.j2", texts, status=403)
        _forget(response, SIGN_IN_COOKIE)
        return response
    expires = now + timedelta(hours=settings.session_hours)
    token_expires = _token_expiry(caller)
    if grant.refresh_token is None and token_expires is not None:  # nothing to renew it with
        expires = min(expires, token_expires)
    token = secrets.token_urlsafe(32)
    name = caller.claims.get("name")
    await uow.console.open_session(token, subject=caller.subject, name=name if isinstance(name, str) else None,
                                   roles=caller.roles, executor_code=caller.executor_code,
                                   access_token=grant.access_token, csrf_token=secrets.token_urlsafe(32), now=now,
                                   expires_at=expires, refresh_token=grant.refresh_token,
                                   token_expires_at=token_expires)
    await uow.console.first_language(caller.subject, choose_language(request.headers.get("accept-language"),
                                                                     default=settings.default_language))
    response = _see_other(_front_page_for(caller.roles))
    _cookie(response, SESSION_COOKIE, token, max_age=int((expires - now).total_seconds()))
    _forget(response, SIGN_IN_COOKIE)
    return response


def _failed_sign_in() -> Response:
    response = _see_other("/console/?failed=1")
    _forget(response, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, user: Reader, uow: UnitOfWork) -> Response:
    await _form(request, user)
    refresh_token = await uow.console.close_session(request.cookies.get(SESSION_COOKIE, ""))
    if refresh_token:
        await _settings(request).oidc.end_session(refresh_token)
    response = _see_other("/console/")
    _forget(response, SESSION_COOKIE)
    return response


@router.post("/language")
async def language(request: Request, user: Reader, uow: UnitOfWork) -> Response:
    """Remembered for the user (the token's subject), on every device."""
    form = await _form(request, user)
    if form.get("language") in LANGUAGES:
        await uow.console.prefer_language(user.caller.subject, form["language"])
    back = form.get("next", "")
    return _see_other(back if back.startswith("/console/") and not back.startswith("//") else "/console/")


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
    for row in rows:
        row["age_hours"] = (now - row["submitted_at"]).total_seconds() / 3600
    kept = {k: v for k, v in {**filters, "older_than_hours": older_than_hours}.items() if v}
    next_url = f"/console/queue?{urlencode({**kept, 'after': rows[-1]['submitted_at'].isoformat()})}" if more else None
    notice = {"accepted": "accepted_notice", "returned": "returned_notice"}.get(done or "")
    return _page(request, "queue.html.j2", user.texts, user=user, rows=rows, waiting=waiting, filters=kept,
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
    files = list((history or {}).get("appeal", {}).get("attachments") or [])
    files += [f for answer in (history or {}).get("answers", []) for f in answer.get("attachments") or []]
    known = {str(f["attachment_id"]): f for f in files}
    intake = _settings(request).intake_url
    if str(attachment_id) not in known or intake is None:
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
    return Response(reply.content, media_type=known[str(attachment_id)]["content_type"], headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox", "Content-Disposition": "inline"})


# -- escalations, scorecards and the weekly report -----------------------------------------

@router.get("/escalations")
async def escalations(request: Request, user: Reader, uow: UnitOfWork, runtime: RuntimeDep) -> Response:
    rows = await uow.model.escalations(open_only=True, now=runtime.clock.now())
    rows.sort(key=lambda r: -float(r["age_hours"]))
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


async def _weekly(request: Request, uow: PostgresUnitOfWork, now: datetime, week: str, language: str) -> dict[str, Any]:
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


# -- wiring ---------------------------------------------------------------------------------

def install(app: FastAPI, settings: ConsoleSettings) -> None:
    """The console's routes, settings and the pages its refusals answer with."""
    app.state.console = settings
    app.include_router(router)

    async def to_sign_in(request: Request, exc: Exception) -> Response:
        return _see_other("/console/")

    async def refused(request: Request, exc: Exception) -> Response:
        return _page(request, "refused.html.j2", exc.texts, status=403)  # type: ignore[attr-defined]

    async def stale_form(request: Request, exc: Exception) -> Response:
        return _page(request, "stale.html.j2", exc.texts, status=403)  # type: ignore[attr-defined]

    app.add_exception_handler(SignInNeeded, to_sign_in)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(CsrfRefused, stale_form)
