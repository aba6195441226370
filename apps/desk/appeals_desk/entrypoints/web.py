"""The operators' desk's pages: sign in, register an appeal while the caller talks (every rule
checked as the operator types, the caller's earlier appeals, a consultation answered at once),
the confirmation to read out, and a caller's status.

Server-rendered, in Kazakh, Russian and English, keyboard-first, working without JavaScript
(``desk.js`` only checks the form as it is typed). Every call to intake carries the signed-in
operator's own token: intake takes who registered, who answered and who linked from it. Every
form carries a CSRF token bound to the browser. Every route declares who may call it: the
session's token must carry ``operator``."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from appeals_contracts.reference import Reference
from appeals_desk import handlers
from appeals_desk.adapters.intake import Intake, SignedOut
from appeals_desk.config import DeskSettings
from appeals_desk.domain import form as forms
from appeals_contracts.prepared_answers import by_topic
from appeals_runtime.auth import PUBLIC, Access
from appeals_runtime.edge import EdgeRuntime
from appeals_runtime.forms import details_of
from appeals_runtime.http_client import Unavailable
from appeals_runtime.i18n import LANGUAGE_NAMES, LANGUAGES
from appeals_runtime.oidc import OidcClient, SignInFailed
from appeals_runtime.pages import Pages, Visitor

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


@dataclass
class Desk:
    """The desk's context: opened when it starts (see :mod:`appeals_desk.bootstrap`)."""

    settings: DeskSettings
    intake: Intake
    oidc: OidcClient
    pages: Pages
    reference: Reference


def _desk(request: Request) -> Desk:
    runtime: EdgeRuntime[Desk] = request.app.state.runtime
    return runtime.context


DeskDep = Annotated[Desk, Depends(_desk)]


def visitor_of(request: Request) -> Visitor:
    return _desk(request).pages.visitor(request)


VisitorDep = Annotated[Visitor, Depends(visitor_of)]


class SignInNeeded(Exception):
    """An operator's page without a session: the browser goes to sign in."""


class OperatorSession(Access):
    """An operator's route: the session's token must carry one of the declared roles (the same
    declaration the route × role table in docs/security.md is checked against)."""

    async def __call__(self, request: Request) -> handlers.Operator:  # type: ignore[override]
        session = _desk(request).pages.session(request)
        if session is None or not session.roles & self.roles:
            raise SignInNeeded()
        return handlers.Operator(session.subject, session.name, session.access_token)


Operator = Annotated[handlers.Operator, Depends(OperatorSession(frozenset({"operator"})))]


def _names(desk: Desk, language: str) -> dict[str, dict[str, str]]:
    ref = desk.reference
    return {table: {code: e.names[language] for code, e in getattr(ref, table).entries.items()}
            for table in ("executors", "categories", "districts", "appeal_kinds", "channels")}


def _page(request: Request, desk: Desk, visitor: Visitor, template: str, *, who: handlers.Operator | None,
          **values: Any) -> Response:
    return desk.pages.render(request, visitor, template, who=who, names=_names(desk, visitor.texts.language),
                             **values)


def _message(request: Request, desk: Desk, visitor: Visitor, status: int, title: str, text: str,
             who: handlers.Operator | None = None, headers: dict[str, str] | None = None) -> Response:
    t = visitor.texts
    return _page(request, desk, visitor, "message.html.j2", who=who, status=status, title=t(title),
                 text=t(text) if text else "", headers=headers)


# -- static files, the start page, sign-in ----------------------------------------------------

@router.get("/static/{name}", dependencies=[PUBLIC])
async def static(name: str, desk: DeskDep) -> Response:
    return desk.pages.static(name)


@router.get("/", dependencies=[PUBLIC])
async def home(request: Request, desk: DeskDep, visitor: VisitorDep, failed: str = "") -> Response:
    if visitor.session is not None and "operator" in visitor.session.roles and not failed:
        return desk.pages.see_other("/register", visitor)
    reason = {"1": "sign_in_failed", "role": "not_operator"}.get(failed)
    return _page(request, desk, visitor, "sign_in.html.j2", who=None, title=visitor.texts("sign_in_title"),
                 failed=reason, status=400 if reason else 200)


@router.get("/sign-in", dependencies=[PUBLIC])
async def sign_in(request: Request, desk: DeskDep, visitor: VisitorDep) -> Response:
    try:
        return await desk.pages.start_sign_in(desk.oidc, visitor)
    except SignInFailed as failed:
        log.warning("operator sign-in cannot start: %s", failed)
        return desk.pages.see_other("/?failed=1", visitor)


@router.get("/callback", dependencies=[PUBLIC])
async def callback(request: Request, desk: DeskDep, visitor: VisitorDep, code: str = "", state: str = "") -> Response:
    """The IdP's redirect back: this browser's state, one exchange with the verifier, a verified
    token that carries the role ``operator``."""
    runtime: EdgeRuntime[Desk] = request.app.state.runtime
    pages = desk.pages
    try:
        caller, grant = await pages.finish_sign_in(request, desk.oidc, runtime.verifier, code=code, state=state)
    except SignInFailed as refused:
        log.warning("operator sign-in refused: %s", refused)
        return pages.forget_sign_in(pages.see_other("/?failed=1", visitor))
    if "operator" not in caller.roles:
        log.warning("operator sign-in refused: the token is not an operator's")
        return pages.forget_sign_in(pages.see_other("/?failed=role", visitor))
    return pages.signed_in(pages.see_other("/register", visitor), caller, grant, now=runtime.clock.now(),
                           session_hours=desk.settings.session_hours)


@router.post("/sign-out", dependencies=[PUBLIC])
async def sign_out(request: Request, desk: DeskDep, visitor: VisitorDep) -> Response:
    if await desk.pages.posted(request, visitor) is None:
        return _message(request, desk, visitor, 403, "expired_title", "expired_text")
    return await desk.pages.sign_out(request, desk.pages.see_other("/", visitor), desk.oidc)


# -- registering ---------------------------------------------------------------------------------

async def _posted_form(request: Request, desk: Desk, visitor: Visitor) -> handlers.Form | None:
    """The posted form with its lists and the chosen category's details; None: a foreign CSRF token."""
    posted = await request.form(max_fields=200, max_files=0)
    values = {k: v[:10_000] for k, v in posted.items() if isinstance(v, str)}
    if not desk.pages.csrf_ok(visitor, values.get("csrf_token")):
        return None
    lists = {k: [v for v in posted.getlist(k) if isinstance(v, str)] for k in posted if k.startswith("attr_")}
    details = details_of(desk.reference, values.get("category", ""), visitor.texts.language)
    return handlers.Form(values, lists, details)


async def _register_page(request: Request, desk: Desk, visitor: Visitor, who: handlers.Operator,
                         form: handlers.Form, *, status: int = 200, errors: dict[str, str] | None = None,
                         earlier: list[dict[str, Any]] | None = None) -> Response:
    t, ref = visitor.texts, desk.reference
    language = t.language
    values = dict(form.values)
    values.setdefault("message_id", uuid.uuid4().hex)
    values.setdefault("channel", forms.CHANNELS[0])
    topics = by_topic(await desk.intake.prepared_answers(bearer=who.token))
    return _page(request, desk, visitor, "register.html.j2", who=who, status=status, title=t("register_title"),
                 values=values, lists=form.lists, details=form.details, errors=errors or {}, earlier=earlier,
                 channels=forms.CHANNELS, kinds=forms.KINDS,
                 categories=sorted(((c, e.names[language]) for c, e in ref.categories.entries.items()
                                    if e.attributes.get("active") is not False), key=lambda kv: kv[1]),
                 districts=sorted(((c, e.names[language]) for c, e in ref.districts.entries.items()),
                                  key=lambda kv: kv[1]),
                 topics=[(code, ref.categories.entries[code].names[language], topics[code])
                         for code in sorted(topics, key=lambda c: ref.categories.entries[c].names[language])],
                 language_names=LANGUAGE_NAMES, language_codes=LANGUAGES, here="/register")


@router.get("/register")
async def register_form(request: Request, desk: DeskDep, visitor: VisitorDep, who: Operator) -> Response:
    return await _register_page(request, desk, visitor, who, handlers.Form({}, {}, []))


@router.post("/register")
async def register(request: Request, desk: DeskDep, visitor: VisitorDep, who: Operator) -> Response:
    """One form, three buttons: find the caller's earlier appeals, show the chosen category's
    details, or register (the default, Enter)."""
    form = await _posted_form(request, desk, visitor)
    if form is None:
        return _message(request, desk, visitor, 403, "expired_title", "expired_text", who)
    t, action = visitor.texts, form.values.get("action", "register")
    if action == "find":
        found = await handlers.earlier_appeals(desk.intake, who, form.values, t)
        if isinstance(found, handlers.NotTaken):
            return await _register_page(request, desk, visitor, who, form, status=422, errors=found.errors)
        return await _register_page(request, desk, visitor, who, form, earlier=found)
    if action == "details":
        return await _register_page(request, desk, visitor, who, form)
    answers = await desk.intake.prepared_answers(bearer=who.token)
    outcome = await handlers.register(desk.intake, who, form, answers, t)
    if isinstance(outcome, handlers.NotTaken):
        return await _register_page(request, desk, visitor, who, form, status=422, errors=outcome.errors)
    log.info("the desk registered an appeal (repeated=%s)", outcome.repeated)
    return desk.pages.see_other(f"/appeals/{outcome.number}{'?repeated=1' if outcome.repeated else ''}", visitor)


@router.post("/check")
async def check(request: Request, desk: DeskDep, visitor: VisitorDep, who: Operator) -> Response:
    """The form so far, checked by intake's rules: sentences by field, for ``desk.js``."""
    form = await _posted_form(request, desk, visitor)
    if form is None:
        return JSONResponse({"detail": "the form expired"}, 403)
    errors = await handlers.check(desk.intake, who, form, await desk.intake.prepared_answers(bearer=who.token),
                                  visitor.texts)
    return JSONResponse({"errors": errors, "ok": visitor.texts("check_ok")},
                        headers={"Cache-Control": "no-store"})


@router.get("/appeals/{number}")
async def confirmation(request: Request, number: str, desk: DeskDep, visitor: VisitorDep, who: Operator,
                       repeated: str = "") -> Response:
    """What the operator reads out: the number, the executor and the due date in Almaty time."""
    status = await handlers.confirmation(desk.intake, who, number[:40], wait_s=desk.settings.confirm_wait_s)
    if status is None:
        return _message(request, desk, visitor, 404, "page_not_found_title", "", who)
    return _page(request, desk, visitor, "done.html.j2", who=who, title=visitor.texts("done_title", number=number),
                 s=status, repeated=bool(repeated))


# -- a caller's status ---------------------------------------------------------------------------

@router.get("/status")
async def status_form(request: Request, desk: DeskDep, visitor: VisitorDep, who: Operator) -> Response:
    return _page(request, desk, visitor, "status.html.j2", who=who, title=visitor.texts("status_title"),
                 values={}, errors={}, found=None, asked=False)


@router.post("/status")
async def status(request: Request, desk: DeskDep, visitor: VisitorDep, who: Operator) -> Response:
    values = await desk.pages.posted(request, visitor)
    if values is None:
        return _message(request, desk, visitor, 403, "expired_title", "expired_text", who)
    found = await handlers.caller_status(desk.intake, who, values, visitor.texts)
    errors = found.errors if isinstance(found, handlers.NotTaken) else {}
    return _page(request, desk, visitor, "status.html.j2", who=who, title=visitor.texts("status_title"),
                 values=values, errors=errors, found=found if isinstance(found, dict) else None, asked=not errors,
                 status=422 if errors else 200)


# -- what every unhappy path shows -------------------------------------------------------------

async def sign_in_needed(request: Request, exc: Exception) -> Response:
    return _desk(request).pages.see_other("/sign-in")


async def signed_out(request: Request, exc: Exception) -> Response:
    """A call found the operator's token no longer verifies: sign in again."""
    desk = _desk(request)
    return desk.pages.signed_out(desk.pages.see_other("/sign-in", desk.pages.visitor(request)))


def _session_operator(desk: Desk, request: Request) -> handlers.Operator | None:
    session = desk.pages.session(request)
    return handlers.Operator(session.subject, session.name, session.access_token) if session else None


async def unavailable(request: Request, exc: Exception) -> Response:
    """Intake did not answer: every page says so the same way (503)."""
    desk = _desk(request)
    log.warning("the desk could not reach the platform: %s", exc)
    return _message(request, desk, desk.pages.visitor(request), 503, "unavailable_title", "unavailable_text",
                    _session_operator(desk, request), headers={"Retry-After": "30"})


async def page_not_found(request: Request, exc: Exception) -> Response:
    desk = _desk(request)
    return _message(request, desk, desk.pages.visitor(request), 404, "page_not_found_title", "")


EXCEPTION_HANDLERS = {SignInNeeded: sign_in_needed, SignedOut: signed_out, Unavailable: unavailable,
                      404: page_not_found}
