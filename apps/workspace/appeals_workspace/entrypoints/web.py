"""The executors' workspace's pages: sign in, the organisation's queue, take or give an appeal,
the case, and the actions (answer with photos, not our competence, an extension request), the
head's page of the employees' figures.

Server-rendered, in Kazakh, Russian and English, no JavaScript. Every page reads the platform
with the signed-in employee's own token, so routing, intake and inspection decide again what
that employee may see: an appeal of another organisation is "not found" whatever its id. Every
form carries a CSRF token bound to the browser. Every route declares who may call it: the
session's token must carry ``executor`` (``executor_head`` for the head's pages)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from appeals_contracts.reference import Reference
from appeals_runtime.auth import PUBLIC, Access
from appeals_runtime.cookies import Session
from appeals_runtime.edge import EdgeRuntime
from appeals_runtime.http_client import Unavailable
from appeals_runtime.i18n import ALMATY, LANGUAGE_NAMES, LANGUAGES
from appeals_runtime.oidc import OidcClient, SignInFailed
from appeals_runtime.pages import Pages, Visitor
from appeals_workspace import handlers
from appeals_workspace.adapters.actions import ActionSender, SigningKeys
from appeals_workspace.adapters.platform import Platform, SignedOut
from appeals_workspace.config import WorkspaceSettings
from appeals_workspace.domain.queue import due_mark, filters_from
from appeals_workspace.domain.words import refusal

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


@dataclass
class Workspace:
    """The workspace's context: opened when it starts (see :mod:`appeals_workspace.bootstrap`)."""

    settings: WorkspaceSettings
    platform: Platform
    sender: ActionSender
    keys: SigningKeys
    oidc: OidcClient
    pages: Pages
    reference: Reference


def _workspace(request: Request) -> Workspace:
    runtime: EdgeRuntime[Workspace] = request.app.state.runtime
    return runtime.context


WorkspaceDep = Annotated[Workspace, Depends(_workspace)]


def visitor_of(request: Request) -> Visitor:
    return _workspace(request).pages.visitor(request)


VisitorDep = Annotated[Visitor, Depends(visitor_of)]


class SignInNeeded(Exception):
    """An employee's page without a session: the browser goes to sign in."""


class NotTheHead(Exception):
    """A head's page for an employee who is not the head."""


class EmployeeSession(Access):
    """An employee's route: the session's token must carry one of the declared roles (the same
    declaration the route × role table in docs/security.md is checked against) and name an
    executor this workspace serves."""

    async def __call__(self, request: Request) -> handlers.Employee:  # type: ignore[override]
        workspace = _workspace(request)
        session = workspace.pages.session(request)
        if session is None or not session.executor_code or "executor" not in session.roles:
            raise SignInNeeded()
        if not session.roles & self.roles:
            raise NotTheHead()
        return _employee(session)


def _employee(session: Session) -> handlers.Employee:
    assert session.executor_code is not None
    return handlers.Employee(session.subject, session.name, session.executor_code, session.access_token)


Employee = Annotated[handlers.Employee, Depends(EmployeeSession(frozenset({"executor"})))]
Head = Annotated[handlers.Employee, Depends(EmployeeSession(frozenset({"executor_head"})))]


def _names(workspace: Workspace, language: str) -> dict[str, dict[str, str]]:
    ref = workspace.reference
    return {table: {code: e.names[language] for code, e in getattr(ref, table).entries.items()}
            for table in ("executors", "categories", "districts", "appeal_kinds", "channels", "return_reasons")}


def _page(request: Request, workspace: Workspace, visitor: Visitor, template: str, *, who: handlers.Employee | None,
          **values: Any) -> Response:
    session = workspace.pages.session(request)
    return workspace.pages.render(request, visitor, template, who=who, head=bool(session and "executor_head"
                                                                                  in session.roles),
                                  names=_names(workspace, visitor.texts.language), **values)


def _message(request: Request, workspace: Workspace, visitor: Visitor, status: int, title: str, text: str,
             who: handlers.Employee | None = None, headers: dict[str, str] | None = None) -> Response:
    t = visitor.texts
    return _page(request, workspace, visitor, "message.html.j2", who=who, status=status, title=t(title),
                 text=t(text) if text else "", headers=headers)


def _unavailable(request: Request, workspace: Workspace, visitor: Visitor, who: handlers.Employee | None,
                 down: Exception) -> Response:
    log.warning("the workspace could not reach the platform: %s", down)
    return _message(request, workspace, visitor, 503, "unavailable_title", "unavailable_text", who,
                    headers={"Retry-After": "30"})


def _not_found(request: Request, workspace: Workspace, visitor: Visitor, who: handlers.Employee | None) -> Response:
    return _message(request, workspace, visitor, 404, "not_found_title", "not_found_text", who)


def _expired(request: Request, workspace: Workspace, visitor: Visitor, who: handlers.Employee | None) -> Response:
    return _message(request, workspace, visitor, 403, "expired_title", "expired_text", who)


# -- static files, the start page, sign-in ----------------------------------------------------

@router.get("/static/{name}", dependencies=[PUBLIC])
async def static(name: str, workspace: WorkspaceDep) -> Response:
    return workspace.pages.static(name)


@router.get("/", dependencies=[PUBLIC])
async def home(request: Request, workspace: WorkspaceDep, visitor: VisitorDep, failed: str = "") -> Response:
    if visitor.session is not None and visitor.session.executor_code and not failed:
        return workspace.pages.see_other("/queue", visitor)
    reason = {"1": "sign_in_failed", "role": "not_employee", "org": "not_served"}.get(failed)
    return _page(request, workspace, visitor, "sign_in.html.j2", who=None, title=visitor.texts("sign_in_title"),
                 failed=reason, status=400 if reason else 200)


@router.get("/sign-in", dependencies=[PUBLIC])
async def sign_in(request: Request, workspace: WorkspaceDep, visitor: VisitorDep) -> Response:
    try:
        return await workspace.pages.start_sign_in(workspace.oidc, visitor)
    except SignInFailed as failed:
        log.warning("employee sign-in cannot start: %s", failed)
        return workspace.pages.see_other("/?failed=1", visitor)


@router.get("/callback", dependencies=[PUBLIC])
async def callback(request: Request, workspace: WorkspaceDep, visitor: VisitorDep, code: str = "",
                   state: str = "") -> Response:
    """The IdP's redirect back: this browser's state, one exchange with the verifier, a verified
    token of an executor's employee whose organisation the workspace serves; routing then knows
    the employee (so the head can give them appeals)."""
    runtime: EdgeRuntime[Workspace] = request.app.state.runtime
    pages = workspace.pages
    try:
        caller, grant = await pages.finish_sign_in(request, workspace.oidc, runtime.verifier, code=code, state=state)
    except SignInFailed as refused:
        log.warning("employee sign-in refused: %s", refused)
        return pages.forget_sign_in(pages.see_other("/?failed=1", visitor))
    if "executor" not in caller.roles or not caller.executor_code:
        log.warning("employee sign-in refused: the token is not an executor employee's")
        return pages.forget_sign_in(pages.see_other("/?failed=role", visitor))
    if not workspace.keys.serves(caller.executor_code):
        log.warning("employee sign-in refused: no signing key for the employee's executor")
        return pages.forget_sign_in(pages.see_other("/?failed=org", visitor))
    try:
        await workspace.platform.employee_seen(caller.executor_code, bearer=grant.access_token)
    except (Unavailable, SignedOut) as down:
        return _unavailable(request, workspace, visitor, None, down)
    return pages.signed_in(pages.see_other("/queue", visitor), caller, grant, now=runtime.clock.now(),
                           session_hours=workspace.settings.session_hours)


@router.post("/sign-out", dependencies=[PUBLIC])
async def sign_out(request: Request, workspace: WorkspaceDep, visitor: VisitorDep) -> Response:
    if await workspace.pages.posted(request, visitor) is None:
        return _expired(request, workspace, visitor, None)
    return await workspace.pages.sign_out(request, workspace.pages.see_other("/", visitor), workspace.oidc)


# -- the queue ---------------------------------------------------------------------------------

@router.get("/queue")
async def queue(request: Request, workspace: WorkspaceDep, visitor: VisitorDep, who: Employee,
                page: int = 1, done: str = "") -> Response:
    t, ref = visitor.texts, workspace.reference
    filters = filters_from(dict(request.query_params), categories=ref.categories.codes,
                           districts=ref.districts.codes)
    page = min(max(page, 1), 10_000)
    size = workspace.settings.page_size
    found = await workspace.platform.queue(who.executor_code, bearer=who.token,
                                           filters=filters.for_routing(who.subject), page=page, size=size)
    people = await workspace.platform.employees(who.executor_code, bearer=who.token)
    runtime: EdgeRuntime[Workspace] = request.app.state.runtime
    now = runtime.clock.now()
    items = [{**item, "mark": due_mark(item.get("due_at"), now)} for item in found["items"]]
    pages = max(1, -(-int(found["total"]) // size))
    base = [*filters.query()]
    return _page(request, workspace, visitor, "queue.html.j2", who=who, title=t("queue_title"), items=items,
                 total=found["total"], page=page, pages=pages, filters=filters, people=people,
                 previous_url=f"/queue?{urlencode([*base, ('page', page - 1)])}" if page > 1 else None,
                 next_url=f"/queue?{urlencode([*base, ('page', page + 1)])}" if page < pages else None,
                 done={"taken": "taken", "given": "given", "reassigned": "sent_done_reassigned",
                       "merged": "merged_done"}.get(done),
                 categories=sorted(ref.categories.entries.items(), key=lambda kv: kv[1].names[t.language]),
                 districts=sorted(ref.districts.entries.items(), key=lambda kv: kv[1].names[t.language]))


async def _assign(request: Request, workspace: Workspace, visitor: Visitor, who: handlers.Employee, appeal_id: UUID,
                  employee_id: str, done: str) -> Response:
    form = await workspace.pages.posted(request, visitor)
    if form is None:
        return _expired(request, workspace, visitor, who)
    target = form.get("employee_id", "")[:200] if employee_id == "" else employee_id
    refused = await workspace.platform.set_assignee(who.executor_code, appeal_id, target, bearer=who.token)
    if refused is not None and refused.status == 404:
        return _not_found(request, workspace, visitor, who)
    if refused is not None:
        return _page(request, workspace, visitor, "message.html.j2", who=who, status=409,
                     title=visitor.texts("actions"), text=refusal(visitor.texts, refused.reason))
    back = form.get("back", "")
    return workspace.pages.see_other(back if back.startswith("/appeals/") or back.startswith("/queue")
                                     else f"/queue?done={done}", visitor)


@router.post("/appeals/{appeal_id}/take")
async def take(request: Request, appeal_id: UUID, workspace: WorkspaceDep, visitor: VisitorDep,
               who: Employee) -> Response:
    """The employee takes the appeal: responsible for it from now on."""
    return await _assign(request, workspace, visitor, who, appeal_id, who.subject, "taken")


@router.post("/appeals/{appeal_id}/give")
async def give(request: Request, appeal_id: UUID, workspace: WorkspaceDep, visitor: VisitorDep,
               who: Head) -> Response:
    """The head gives the appeal to an employee of the organisation (routing checks again)."""
    return await _assign(request, workspace, visitor, who, appeal_id, "", "given")


# -- the case ----------------------------------------------------------------------------------

async def _case_page(request: Request, workspace: Workspace, visitor: Visitor, who: handlers.Employee,
                     appeal_id: UUID, *, status: int = 200, errors: dict[str, str] | None = None,
                     values: dict[str, str] | None = None, notice: str | None = None,
                     problem: str | None = None) -> Response:
    case = await workspace.platform.case(who.executor_code, appeal_id, bearer=who.token)
    session = workspace.pages.session(request)
    head = bool(case and session and "executor_head" in session.roles)  # only the head's form lists them
    people = await workspace.platform.employees(who.executor_code, bearer=who.token) if head else []
    if case is None and problem:  # refused because the appeal is no longer the organisation's
        return _page(request, workspace, visitor, "message.html.j2", who=who, status=status,
                     title=visitor.texts("actions"), text=problem)
    if case is None:
        return _not_found(request, workspace, visitor, who)
    runtime: EdgeRuntime[Workspace] = request.app.state.runtime
    t = visitor.texts
    details = case["case"]
    language = values.get("language") if values else None
    return _page(request, workspace, visitor, "case.html.j2", who=who, status=status,
                 title=t("case_title", number=case["registration_number"]), case=case, c=details,
                 mark=due_mark(details.get("due_at"), runtime.clock.now()), people=people,
                 errors=errors or {}, values=values or {}, notice=notice, problem=problem,
                 answer_language=language or details.get("language") or t.language,
                 language_names=LANGUAGE_NAMES, language_codes=LANGUAGES,
                 executors=sorted(((code, e.names[t.language]) for code, e in workspace.reference.executors.entries.items()
                                   if code != who.executor_code), key=lambda kv: kv[1]),
                 max_photos=workspace.settings.max_photos,
                 photo_mb=workspace.settings.photo_max_bytes // (1024 * 1024))


@router.get("/appeals/{appeal_id}")
async def case_page(request: Request, appeal_id: UUID, workspace: WorkspaceDep, visitor: VisitorDep, who: Employee,
                    done: str = "", action: str = "") -> Response:
    notice = {"answered": "sent_done_answered", "extension": "sent_done_extension",
              "pending": "sent_pending"}.get(done)
    return await _case_page(request, workspace, visitor, who, appeal_id, notice=notice)


@router.get("/appeals/{appeal_id}/photos/{attachment_id}")
async def photo(request: Request, appeal_id: UUID, attachment_id: UUID, workspace: WorkspaceDep,
                visitor: VisitorDep, who: Employee) -> Response:
    """A photo of the case or of its answers, fetched from intake with the employee's own token
    (intake decides again), served so that a browser never runs it."""
    case = await workspace.platform.case(who.executor_code, appeal_id, bearer=who.token)
    files = [] if case is None else list(case["case"].get("attachments") or []) + [
        f for answer in case.get("answers", []) for f in answer.get("attachments") or []]
    if str(attachment_id) not in {str(f["attachment_id"]) for f in files}:
        return _not_found(request, workspace, visitor, who)
    found = await workspace.platform.photo(attachment_id, bearer=who.token)
    if found is None:
        return _not_found(request, workspace, visitor, who)
    data, content_type = found
    return Response(data, media_type=content_type, headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox", "Content-Disposition": "inline"})


def _after(request: Request, workspace: Workspace, visitor: Visitor, who: handlers.Employee, appeal_id: UUID,
           sent: handlers.Sent, done: str) -> Any:
    if sent.state == "done":
        if done == "reassigned":
            return workspace.pages.see_other("/queue?done=reassigned", visitor)
        return workspace.pages.see_other(f"/appeals/{appeal_id}?done={done}", visitor)
    if sent.state == "pending":
        return workspace.pages.see_other(f"/appeals/{appeal_id}?done=pending", visitor)
    return None  # refused: the case page says why


async def _action(request: Request, workspace: Workspace, visitor: Visitor, who: handlers.Employee, appeal_id: UUID,
                  kind: str) -> Response:
    settings = workspace.settings
    try:
        posted = await request.form(max_files=settings.max_photos + 1, max_fields=50)
    except MultiPartException:
        return _expired(request, workspace, visitor, who)
    values = {k: v for k, v in posted.multi_items() if isinstance(v, str)}
    if not workspace.pages.csrf_ok(visitor, values.get("csrf_token")):
        return _expired(request, workspace, visitor, who)
    runtime: EdgeRuntime[Workspace] = request.app.state.runtime
    now, wait_s = runtime.clock.now(), settings.action_wait_s
    if kind == "answer":
        photos = [handlers.Photo(await f.read(settings.photo_max_bytes + 1), f.content_type or "")
                  for f in posted.getlist("photos") if isinstance(f, UploadFile) and f.filename]
        result = await handlers.answer(workspace.platform, workspace.sender, who, appeal_id,
                                       text=values.get("text", ""), language=values.get("language", ""),
                                       photos=photos, max_photos=settings.max_photos,
                                       photo_max_bytes=settings.photo_max_bytes, now=now, wait_s=wait_s)
        done = "answered"
    elif kind == "not-ours":
        suggested = values.get("suggested", "")
        result = await handlers.not_our_competence(
            workspace.platform, workspace.sender, who, appeal_id, reason=values.get("reason", ""),
            suggested=suggested if suggested in workspace.reference.executors.codes else None, now=now,
            wait_s=wait_s)
        done = "reassigned"
    else:
        result = await handlers.ask_extension(workspace.platform, workspace.sender, who, appeal_id,
                                              reason=values.get("extension_reason", ""), now=now, wait_s=wait_s)
        done = "extension"
    t = visitor.texts
    if isinstance(result, handlers.NotSent):
        errors = {name: t(key, **args) for name, (key, args) in result.errors.items()}
        return await _case_page(request, workspace, visitor, who, appeal_id, status=422, errors=errors, values=values)
    log.info("executor action %s for appeal %s: %s", kind, appeal_id, result.state)
    redirect = _after(request, workspace, visitor, who, appeal_id, result, done)
    if redirect is not None:
        return redirect
    return await _case_page(request, workspace, visitor, who, appeal_id, status=409, values=values,
                            problem=refusal(t, result.reason))


@router.post("/appeals/{appeal_id}/answer")
async def send_answer(request: Request, appeal_id: UUID, workspace: WorkspaceDep, visitor: VisitorDep,
                      who: Employee) -> Response:
    return await _action(request, workspace, visitor, who, appeal_id, "answer")


@router.post("/appeals/{appeal_id}/not-ours")
async def not_ours(request: Request, appeal_id: UUID, workspace: WorkspaceDep, visitor: VisitorDep,
                   who: Employee) -> Response:
    return await _action(request, workspace, visitor, who, appeal_id, "not-ours")


@router.post("/appeals/{appeal_id}/extension")
async def extension(request: Request, appeal_id: UUID, workspace: WorkspaceDep, visitor: VisitorDep,
                    who: Employee) -> Response:
    return await _action(request, workspace, visitor, who, appeal_id, "extension")


@router.post("/appeals/{appeal_id}/merge")
async def merge(request: Request, appeal_id: UUID, workspace: WorkspaceDep, visitor: VisitorDep,
                who: Employee) -> Response:
    """Merge this appeal, linked by intake as a possible duplicate, into its original (inspection
    checks that the executor holds both and that intake linked them)."""
    form = await workspace.pages.posted(request, visitor)
    if form is None:
        return _expired(request, workspace, visitor, who)
    try:
        into = uuid.UUID(form.get("into", ""))
    except ValueError:
        return _not_found(request, workspace, visitor, who)
    refused = await workspace.platform.merge(appeal_id, into, bearer=who.token)
    if refused is None:
        return workspace.pages.see_other("/queue?done=merged", visitor)
    if refused.status in (403, 404):
        return _not_found(request, workspace, visitor, who)
    return await _case_page(request, workspace, visitor, who, appeal_id, status=409,
                            problem=refusal(visitor.texts, refused.reason))


# -- the head's page -----------------------------------------------------------------------------

@router.get("/team")
async def team(request: Request, workspace: WorkspaceDep, visitor: VisitorDep, who: Head) -> Response:
    """The organisation's employees and their figures over the last 30 days (Almaty days)."""
    runtime: EdgeRuntime[Workspace] = request.app.state.runtime
    today = runtime.clock.now().astimezone(ALMATY).date()
    first = today - timedelta(days=29)
    people = await workspace.platform.employees(who.executor_code, bearer=who.token)
    card = await workspace.platform.scorecard(who.executor_code, first, today, bearer=who.token)
    figures = {row["employee_id"]: row for row in card.get("employees", [])}
    rows = [{"employee_id": p["employee_id"], "name": p.get("name") or p["employee_id"], "head": p.get("head"),
             **{k: figures.get(p["employee_id"], {}).get(k) for k in
                ("answered", "returned", "accepted", "accepted_late", "overdue_now", "rated", "mean_rating")}}
            for p in people]
    known = {p["employee_id"] for p in people}
    rows += [{**row, "name": row.get("employee_name") or row["employee_id"], "head": False}
             for row in card.get("employees", []) if row["employee_id"] not in known]
    return _page(request, workspace, visitor, "team.html.j2", who=who, title=visitor.texts("team_title"), rows=rows,
                 first=first, last=today)


# -- what every unhappy path shows -------------------------------------------------------------

async def sign_in_needed(request: Request, exc: Exception) -> Response:
    return _workspace(request).pages.see_other("/sign-in")


async def not_the_head(request: Request, exc: Exception) -> Response:
    workspace = _workspace(request)
    visitor = workspace.pages.visitor(request)
    return _message(request, workspace, visitor, 403, "team_title", "head_only", _session_employee(workspace, request))


def _session_employee(workspace: Workspace, request: Request) -> handlers.Employee | None:
    session = workspace.pages.session(request)
    return _employee(session) if session and session.executor_code else None


async def signed_out(request: Request, exc: Exception) -> Response:
    """A page's call found the employee's token no longer verifies: sign in again."""
    workspace = _workspace(request)
    return workspace.pages.signed_out(workspace.pages.see_other("/sign-in", workspace.pages.visitor(request)))


async def unavailable(request: Request, exc: Exception) -> Response:
    """A service (or the broker) did not answer: every page says so the same way (503)."""
    workspace = _workspace(request)
    return _unavailable(request, workspace, workspace.pages.visitor(request), _session_employee(workspace, request),
                        exc)


async def page_not_found(request: Request, exc: Exception) -> Response:
    workspace = _workspace(request)
    visitor = workspace.pages.visitor(request)
    return _message(request, workspace, visitor, 404, "page_not_found_title", "")


EXCEPTION_HANDLERS = {SignInNeeded: sign_in_needed, NotTheHead: not_the_head, SignedOut: signed_out,
                      Unavailable: unavailable, 404: page_not_found}
