"""The citizen's portal's pages: submit an appeal, follow it from the link in an SMS or e-mail,
judge the answer, a signed-in citizen's appeals, and the city's public figures.

Server-rendered, in Kazakh, Russian and English, working without JavaScript (one small script
only adds "use my location" and refreshes a page still waiting for its executor). Nothing is
fetched from other sites; every form carries a CSRF token bound to the browser; the status
pages carry their token in the URL, so no page sends a referrer. Every route declares who may
call it: the pages are public, a signed-in citizen's pages need the ``citizen`` role of the
session (:class:`CitizenSession`)."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from appeals_contracts.reference import Reference
from appeals_portal import handlers
from appeals_portal.adapters.platform import Platform, Unavailable
from appeals_portal.adapters.rate_limits import RateLimits
from appeals_portal.config import PortalSettings
from appeals_portal.domain import form as forms
from appeals_portal.domain.status import Names, read
from appeals_runtime.auth import PUBLIC, Access
from appeals_runtime.cookies import Keys, Session
from appeals_runtime.edge import EdgeRuntime
from appeals_runtime.forms import details_of
from appeals_runtime.i18n import LANGUAGE_NAMES, LANGUAGES
from appeals_runtime.oidc import OidcClient, SignInFailed
from appeals_runtime.pages import HEADERS as PAGE_HEADERS
from appeals_runtime.pages import Pages, Visitor

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

#: Registration numbers as intake writes them; anything else is not looked up.
NUMBER = re.compile(r"^[A-Z]{1,10}-\d{4}-\d{1,12}$")
TEXT_MAX = 5000


@dataclass
class Portal:
    """The portal's context: opened when it starts (see :mod:`appeals_portal.bootstrap`)."""

    settings: PortalSettings
    platform: Platform
    oidc: OidcClient
    keys: Keys
    limits: RateLimits
    reference: Reference
    names: Names
    pages: Pages


#: The pages' headers (appeals_runtime.pages: nothing fetched from elsewhere, no referrer: a
#: status page's URL holds its token), and the location and camera for "use my location".
HEADERS = {**PAGE_HEADERS, "Permissions-Policy": "geolocation=(self), camera=(self)"}
STATIC = {"portal.css": "text/css; charset=utf-8", "portal.js": "text/javascript; charset=utf-8"}


def _portal(request: Request) -> Portal:
    runtime: EdgeRuntime[Portal] = request.app.state.runtime
    return runtime.context


PortalDep = Annotated[Portal, Depends(_portal)]


# -- who is asking, in which language --------------------------------------------------------

def visitor_of(request: Request) -> Visitor:
    return _portal(request).pages.visitor(request)


VisitorDep = Annotated[Visitor, Depends(visitor_of)]


class SignInNeeded(Exception):
    """A signed-in citizen's page without a session: the browser goes to sign in."""


class CitizenSession(Access):
    """A signed-in citizen's route: the session's token must carry the ``citizen`` role (the
    same declaration the route × role table in docs/security.md is checked against)."""

    async def __call__(self, request: Request) -> Session:  # type: ignore[override]
        session = _portal(request).pages.session(request)
        if session is None:
            raise SignInNeeded()
        return session


Citizen = Annotated[Session, Depends(CitizenSession(frozenset({"citizen"})))]


def _page(request: Request, portal: Portal, visitor: Visitor, template: str, *, status: int = 200,
          title: str = "", headers: dict[str, str] | None = None, **values: Any) -> Response:
    # a page answering a form: the language switch leads to the page the form is on
    here = request.url.path.removesuffix("/verdict") if request.method != "GET" else None
    return portal.pages.render(request, visitor, template, status=status, title=title, headers=headers, here=here,
                               **values)


def _see_other(portal: Portal, url: str, visitor: Visitor | None = None) -> Response:
    return portal.pages.see_other(url, visitor)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _too_many(request: Request, portal: Portal, visitor: Visitor, seconds: int) -> Response:
    return _page(request, portal, visitor, "message.html.j2", status=429, title=visitor.texts("too_many_title"),
                 text=visitor.texts("too_many_text", minutes=max(1, -(-seconds // 60))),
                 headers={"Retry-After": str(seconds)})


def _unavailable(request: Request, portal: Portal, visitor: Visitor) -> Response:
    return _page(request, portal, visitor, "message.html.j2", status=503, title=visitor.texts("unavailable_title"),
                 text=visitor.texts("unavailable_text"), headers={"Retry-After": "30"})


def _expired(request: Request, portal: Portal, visitor: Visitor) -> Response:
    return _page(request, portal, visitor, "message.html.j2", status=403, title=visitor.texts("expired_title"),
                 text=visitor.texts("expired_text"))


def _not_found(request: Request, portal: Portal, visitor: Visitor) -> Response:
    return _page(request, portal, visitor, "message.html.j2", status=404, title=visitor.texts("not_found_title"),
                 text=visitor.texts("not_found_text"))


# -- static files (the stylesheet, the one small script) ---------------------------------------

@router.get("/static/{name}", dependencies=[PUBLIC])
async def static(name: str, portal: PortalDep) -> Response:
    return portal.pages.static(name)


# -- the home page and following by number ---------------------------------------------------

@router.get("/", dependencies=[PUBLIC])
async def home(request: Request, portal: PortalDep, visitor: VisitorDep, failed: bool = False) -> Response:
    return _page(request, portal, visitor, "home.html.j2", title=visitor.texts("home_title"), failed=failed,
                 status=400 if failed else 200)


@router.get("/follow", dependencies=[PUBLIC])
async def follow(request: Request, portal: PortalDep, visitor: VisitorDep, number: str = "", code: str = "") -> Response:
    """The home page's form: the number and the code typed, then the status page's own URL."""
    number, code = number.strip().upper(), code.strip()
    return _see_other(portal, f"/s/{quote(number, safe='')}/{quote(code, safe='')}", visitor)


# -- submitting ------------------------------------------------------------------------------

def _form_page(request: Request, portal: Portal, visitor: Visitor, *, category: str, values: dict[str, Any],
               errors: dict[str, str], status: int = 200, banner: str | None = None,
               attachments: list[str] | None = None) -> Response:
    t = visitor.texts
    ref, lang = portal.reference, t.language
    return _page(
        request, portal, visitor, "submit.html.j2", status=status, title=t("submit_title"),
        category=category, category_name=ref.categories.entries[category].names[lang],
        details=details_of(ref, category, t.language),
        kinds=[forms.Choice(k, ref.appeal_kinds.entries[k].names[lang]) for k in forms.KINDS],
        districts=sorted((forms.Choice(c, e.names[lang]) for c, e in ref.districts.entries.items()),
                         key=lambda c: c.name),
        values=values, errors=errors, banner=banner, attachments=attachments or [],
        message_id=values.get("message_id") or uuid.uuid4().hex,
        max_photos=portal.settings.max_photos, photo_mb=portal.settings.photo_max_bytes // (1024 * 1024),
        text_max=TEXT_MAX, language_names=LANGUAGE_NAMES, language_codes=LANGUAGES)


@router.get("/submit", dependencies=[PUBLIC])
async def submit_form(request: Request, portal: PortalDep, visitor: VisitorDep, category: str = "",
                      q: str = "") -> Response:
    """Without a category: the taxonomy to choose from (grouped; searched on the server). With
    one: the form for it, with that category's details."""
    if category in portal.reference.categories.entries:
        values = {"language": visitor.texts.language}
        return _form_page(request, portal, visitor, category=category, values=values, errors={})
    query = q.strip()[:100]
    return _page(request, portal, visitor, "choose.html.j2", title=visitor.texts("submit_title"), query=query,
                 groups=forms.category_groups(portal.reference, visitor.texts, query))


@router.post("/submit", dependencies=[PUBLIC])
async def submit(request: Request, portal: PortalDep, visitor: VisitorDep) -> Response:
    t, settings = visitor.texts, portal.settings
    try:
        posted = await request.form(max_files=settings.max_photos + 1, max_fields=200)
    except MultiPartException:
        return _expired(request, portal, visitor)
    values = {k: v for k, v in posted.multi_items() if isinstance(v, str)}
    lists = {k: [v for v in posted.getlist(k) if isinstance(v, str)] for k in posted if k.startswith("attr_")}
    if not portal.pages.csrf_ok(visitor, values.get("csrf_token")):
        return _expired(request, portal, visitor)
    category = values.get("category", "")
    if category not in portal.reference.categories.entries:
        return _see_other(portal, "/submit", visitor)
    if not re.fullmatch(r"[0-9a-f]{32}", values.get("message_id", "")):
        values["message_id"] = uuid.uuid4().hex
    wait = portal.limits.submit(_address(request), [values.get("phone", ""), values.get("email", "")]
                                if values.get("anonymous") != "on" else [])
    if wait is not None:
        return _too_many(request, portal, visitor, wait)
    bearer = visitor.session.access_token if visitor.session else None
    kept = [a for a in posted.getlist("attachment") if isinstance(a, str) and _is_uuid(a)][:settings.max_photos]
    photos = [handlers.Photo(await f.read(settings.photo_max_bytes + 1), f.content_type or "")
              for f in posted.getlist("photos") if isinstance(f, UploadFile) and f.filename]
    try:
        outcome = await handlers.submit(
            portal.platform, t, values=values, lists=lists, details=details_of(portal.reference, category, t.language),
            photos=photos, kept=kept, limits=handlers.Limits(settings.max_photos, settings.photo_max_bytes),
            bearer=bearer)
    except Unavailable as down:
        log.warning("a submission could not reach the platform: %s", down)
        return _form_page(request, portal, visitor, category=category, values=values, errors={}, status=503,
                          banner=t("unavailable_form"), attachments=kept)
    if isinstance(outcome, handlers.NotTaken):
        log.info("a submission was refused on %s", ", ".join(sorted(outcome.errors)) or "the whole form")
        return _form_page(request, portal, visitor, category=category, values=values, errors=outcome.errors,
                          status=422, banner=t("refused_summary"), attachments=outcome.attachments)
    return _see_other(portal, f"/s/{quote(outcome.number, safe='')}/{quote(outcome.token, safe='')}?new=1", visitor)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# -- following and judging ---------------------------------------------------------------------

async def _status_page(request: Request, portal: Portal, visitor: Visitor, number: str, *, token: str = "",
                       bearer: str | None = None, base: str, notice: str | None = None, error: str | None = None,
                       status: int = 200) -> Response:
    if not NUMBER.fullmatch(number):
        return _not_found(request, portal, visitor)
    try:
        view = await portal.platform.status(number, token=token, bearer=bearer)
    except Unavailable as down:
        log.warning("a status page could not reach intake: %s", down)
        return _unavailable(request, portal, visitor)
    if view is None:
        return _not_found(request, portal, visitor)
    page = read(view, visitor.texts, portal.names)
    waiting = page.status == "registered" and (page.executor is None or page.due is None)
    return _page(request, portal, visitor, "status.html.j2", status=status,
                 title=visitor.texts("status_title", number=page.number), page=page, base=base,
                 new=request.query_params.get("new") == "1", notice=notice, error=error, waiting=waiting)


def _notice(done: str | None) -> str | None:
    return {"resolved": "verdict_thanks", "reopened": "verdict_reopened"}.get(done or "")


@router.get("/s/{number}/{token}", dependencies=[PUBLIC])
async def status(request: Request, number: str, token: str, portal: PortalDep, visitor: VisitorDep,
                 done: str | None = None) -> Response:
    """The page TRACK_URL points to: the number and its status token, nothing else."""
    if (wait := portal.limits.lookup(_address(request))) is not None:
        return _too_many(request, portal, visitor, wait)
    return await _status_page(request, portal, visitor, number, token=token[:200],
                              base=f"/s/{quote(number, safe='')}/{quote(token[:200], safe='')}", notice=_notice(done))


@router.get("/s/{number}", dependencies=[PUBLIC])
async def status_without_token(request: Request, number: str, portal: PortalDep, visitor: VisitorDep) -> Response:
    """A link cut short: the same page as an unknown number (nothing tells whether it exists)."""
    if (wait := portal.limits.lookup(_address(request))) is not None:
        return _too_many(request, portal, visitor, wait)
    return _not_found(request, portal, visitor)


@router.post("/s/{number}/{token}/verdict", dependencies=[PUBLIC])
async def verdict(request: Request, number: str, token: str, portal: PortalDep, visitor: VisitorDep) -> Response:
    if (wait := portal.limits.lookup(_address(request))) is not None:
        return _too_many(request, portal, visitor, wait)
    base = f"/s/{quote(number, safe='')}/{quote(token[:200], safe='')}"
    return await _judge(request, portal, visitor, number, token=token[:200], bearer=None, base=base)


async def _judge(request: Request, portal: Portal, visitor: Visitor, number: str, *, token: str,
                 bearer: str | None, base: str) -> Response:
    form = await portal.pages.posted(request, visitor)
    if form is None:
        return _expired(request, portal, visitor)
    verdict = handlers.verdict_from(form)
    if verdict is None or not NUMBER.fullmatch(number):
        return await _status_page(request, portal, visitor, number, token=token, bearer=bearer, base=base,
                                  error=visitor.texts("verdict_choose"), status=422)
    try:
        refused = await handlers.judge(portal.platform, number, verdict, token=token, bearer=bearer)
    except Unavailable as down:
        log.warning("a verdict could not reach intake: %s", down)
        return _unavailable(request, portal, visitor)
    if refused is not None:
        if refused.status == 404:
            return _not_found(request, portal, visitor)
        return await _status_page(request, portal, visitor, number, token=token, bearer=bearer, base=base,
                                  error=visitor.texts("verdict_refused"), status=409)
    return _see_other(portal, f"{base}?done={'resolved' if verdict.resolved else 'reopened'}", visitor)


# -- signed-in citizens ------------------------------------------------------------------------

@router.get("/my")
async def my_appeals(request: Request, portal: PortalDep, visitor: VisitorDep, citizen: Citizen) -> Response:
    try:
        views = await portal.platform.my_appeals(bearer=citizen.access_token)
    except Unavailable as down:
        log.warning("a citizen's appeals could not be read: %s", down)
        return _unavailable(request, portal, visitor)
    if views is None:  # the token no longer verifies: sign in again
        return _signed_out(portal, _see_other(portal, "/sign-in", visitor))
    rows = [read(v, visitor.texts, portal.names) for v in views]
    registered = {v.get("registration_number"): visitor.texts.when(v.get("registered_at")) for v in views}
    return _page(request, portal, visitor, "my.html.j2", title=visitor.texts("my_title"), rows=rows,
                 registered=registered)


@router.get("/my/{number}")
async def my_appeal(request: Request, number: str, portal: PortalDep, visitor: VisitorDep, citizen: Citizen,
                    done: str | None = None) -> Response:
    """The status page of the citizen's own appeal, without the token."""
    return await _status_page(request, portal, visitor, number, bearer=citizen.access_token,
                              base=f"/my/{quote(number, safe='')}", notice=_notice(done))


@router.post("/my/{number}/verdict")
async def my_verdict(request: Request, number: str, portal: PortalDep, visitor: VisitorDep,
                     citizen: Citizen) -> Response:
    return await _judge(request, portal, visitor, number, token="", bearer=citizen.access_token,
                        base=f"/my/{quote(number, safe='')}")


@router.get("/sign-in", dependencies=[PUBLIC])
async def sign_in(portal: PortalDep, visitor: VisitorDep) -> Response:
    """Start the authorization code flow with PKCE (see :meth:`Pages.start_sign_in`)."""
    try:
        return await portal.pages.start_sign_in(portal.oidc, visitor)
    except SignInFailed as failed:
        log.warning("citizen sign-in cannot start: %s", failed)
        return _see_other(portal, "/?failed=1", visitor)


@router.get("/callback", dependencies=[PUBLIC])
async def callback(request: Request, portal: PortalDep, visitor: VisitorDep, code: str = "",
                   state: str = "") -> Response:
    """The IdP's redirect back: the state must be this browser's, the code redeems once with the
    verifier, and the access token must verify and carry the citizen role."""
    runtime: EdgeRuntime[Portal] = request.app.state.runtime
    try:
        caller, grant = await portal.pages.finish_sign_in(request, portal.oidc, runtime.verifier, code=code,
                                                          state=state)
    except SignInFailed as refused:
        log.warning("citizen sign-in refused: %s", refused)
        return _failed(portal, visitor)
    if "citizen" not in caller.roles:
        log.warning("citizen sign-in refused: the token has no citizen role")
        return _failed(portal, visitor)
    return portal.pages.signed_in(_see_other(portal, "/my", visitor), caller, grant, now=runtime.clock.now(),
                                  session_hours=portal.settings.session_hours)


def _failed(portal: Portal, visitor: Visitor) -> Response:
    return portal.pages.forget_sign_in(_see_other(portal, "/?failed=1", visitor))


def _signed_out(portal: Portal, response: Response) -> Response:
    return portal.pages.signed_out(response)


@router.post("/sign-out", dependencies=[PUBLIC])
async def sign_out(request: Request, portal: PortalDep, visitor: VisitorDep) -> Response:
    if await portal.pages.posted(request, visitor) is None:
        return _expired(request, portal, visitor)
    return await portal.pages.sign_out(request, _see_other(portal, "/", visitor), portal.oidc)


# -- public figures ----------------------------------------------------------------------------

@router.get("/stats", dependencies=[PUBLIC])
async def stats(request: Request, portal: PortalDep, visitor: VisitorDep, week: str = "", district: str = "",
                category: str = "") -> Response:
    runtime: EdgeRuntime[Portal] = request.app.state.runtime
    t, ref = visitor.texts, portal.reference
    today = runtime.clock.now().astimezone(UTC)
    if not re.fullmatch(r"20\d{2}-W\d{2}", week):  # the platform's years, as inspection takes them
        year, number, _ = today.isocalendar()
        week = f"{year}-W{number:02d}"
    district = district if district in ref.districts.entries else ""
    category = category if category in ref.categories.entries else ""
    try:
        figures = await portal.platform.week(week)
        recent = await portal.platform.recent(language=t.language, category=category or None)
    except Unavailable as down:
        log.warning("public figures could not be read: %s", down)
        figures, recent = None, []
    if district:
        name = ref.districts.entries[district].names[t.language]
        recent = [r for r in recent if r.get("address") == name]
    recent = sorted(recent, key=lambda r: r.get("requested_datetime") or "", reverse=True)[:30]
    try:
        monday = datetime.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    except ValueError:  # a week the year does not have: this week instead
        year, number, _ = today.isocalendar()
        week, monday = f"{year}-W{number:02d}", datetime.fromisocalendar(year, number, 1)
    previous = (monday - timedelta(days=7)).isocalendar()
    return _page(request, portal, visitor, "stats.html.j2", title=t("stats_title"), figures=figures, recent=recent,
                 district=district, category=category, week=week, names=portal.names,
                 previous_week=f"{previous[0]}-W{previous[1]:02d}",
                 districts=sorted((forms.Choice(c, e.names[t.language]) for c, e in ref.districts.entries.items()),
                                  key=lambda c: c.name),
                 categories=sorted((forms.Choice(c, e.names[t.language]) for c, e in ref.categories.entries.items()),
                                   key=lambda c: c.name))


# -- what every unhappy path shows -------------------------------------------------------------

async def sign_in_needed(request: Request, exc: Exception) -> Response:
    return _see_other(_portal(request), "/sign-in")


async def page_not_found(request: Request, exc: Exception) -> Response:
    """An unknown address: a page in the visitor's language, not a JSON body."""
    portal = _portal(request)
    visitor = portal.pages.visitor(request)
    return _page(request, portal, visitor, "message.html.j2", status=404, title=visitor.texts("page_not_found_title"),
                 text="")


EXCEPTION_HANDLERS = {SignInNeeded: sign_in_needed, 404: page_not_found}
