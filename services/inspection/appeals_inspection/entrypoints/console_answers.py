"""The staff console's page of the prepared answers operators give to consultations: inspectors
add, change and retire them in kk, ru and en. Intake keeps them (``/v1/prepared-answers``); the
console calls it with the inspector's own token, so intake records who changed what and checks
the answer the same way as the shipped file."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response

from appeals_contracts.languages import LANGUAGES
from appeals_inspection.entrypoints.console import Inspector, StaffMember, _form, _page, _see_other, _settings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/console", include_in_schema=False)


async def _intake(request: Request, user: StaffMember, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
    """Intake's answer, or None when it is not configured or cannot be reached (said on the page)."""
    intake = _settings(request).intake_url
    if intake is None:
        return None
    try:
        async with httpx.AsyncClient(timeout=20) as http:
            return await http.request(method, f"{intake.rstrip('/')}{path}",
                                      headers={"Authorization": f"Bearer {user.access_token}"}, **kwargs)
    except httpx.HTTPError as exc:
        log.warning("prepared answers: intake could not be reached: %s", type(exc).__name__)
        return None


async def _answers_page(request: Request, user: StaffMember, *, status: int = 200, problem: str | None = None,
                        values: dict[str, str] | None = None, done: str | None = None) -> Response:
    reply = await _intake(request, user, "GET", "/v1/prepared-answers")
    if reply is None or reply.status_code != 200:
        return _page(request, "answers.html.j2", user.texts, user=user, status=503, answers=[], unavailable=True,
                     problem=None, values={}, done=None, languages_=LANGUAGES)
    return _page(request, "answers.html.j2", user.texts, user=user, status=status, answers=reply.json(),
                 unavailable=False, problem=problem, values=values or {}, done=done, languages_=LANGUAGES)


@router.get("/answers")
async def answers(request: Request, user: Inspector, done: str = "") -> Response:
    """Every prepared answer by topic, each in a form of its own, and a form for a new one."""
    return await _answers_page(request, user, done=done[:60] or None)


@router.post("/answers")
async def save_answer(request: Request, user: Inspector) -> Response:
    """One answer added or changed: intake checks it (a topic that is a category, all three
    languages) and the page says why not in the inspector's language."""
    form = await _form(request, user)
    code = form.get("code", "").strip()
    body = {"topic": form.get("topic", ""), "active": form.get("active") == "on",
            "title": {lang: form.get(f"title_{lang}", "") for lang in LANGUAGES},
            "text": {lang: form.get(f"text_{lang}", "") for lang in LANGUAGES}}
    reply = await _intake(request, user, "PUT", f"/v1/prepared-answers/{code or '-'}", json=body)
    if reply is None or reply.status_code >= 500:
        return await _answers_page(request, user, status=503)
    if reply.status_code != 200:
        detail = reply.json().get("detail") if reply.headers.get("content-type", "").startswith("application/json") \
            else None
        return await _answers_page(request, user, status=422, values=form,
                                   problem=user.texts("answer_refused", reason=str(detail or reply.status_code)))
    log.info("prepared answer %s saved by an inspector", code)
    return _see_other(f"/console/answers?done={code}")
