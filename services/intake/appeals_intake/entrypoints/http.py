"""Intake's HTTP API: submit an appeal, read its status."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from opentelemetry import context as otel_context
from pydantic import ValidationError

from appeals_contracts.envelope import field_errors
from appeals_contracts.events import AppealSubmitted
from appeals_intake import handlers
from appeals_intake.adapters.events import to_command
from appeals_intake.adapters.images import ImageCleaner
from appeals_intake.adapters.object_store import ObjectStore
from appeals_intake.adapters.unit_of_work import PostgresUnitOfWork
from appeals_intake.config import IntakeSettings
from appeals_intake.domain.attachments import SIGNATURES
from appeals_intake.domain.iin import iin_problem
from appeals_intake.domain.model import Catalog, SubmitAppeal
from appeals_intake.domain.validation import normalise_email, normalise_phone
from appeals_intake.domain.status_token import status_token
from appeals_runtime.auth import CITIZEN, Caller, allow
from appeals_runtime.responses import NOT_FOUND, inline_schema, refusal
from appeals_runtime.service import RuntimeDep, UnitOfWorkDep
from appeals_runtime.telemetry import tracer

UnitOfWork = Annotated[PostgresUnitOfWork, UnitOfWorkDep]

#: The submission's schema, whole (no reference to a component the document lacks); the route
#: generates a channel_message_id when none comes.
_SUBMISSION_SCHEMA = inline_schema(AppealSubmitted, optional=("channel_message_id",))


def _refused(reasons: list[dict[str, str]]) -> JSONResponse:
    return JSONResponse({"detail": "submission refused", "reasons": reasons}, status_code=422)


def _status_body(view: handlers.StatusView) -> dict[str, Any]:
    """The status and timeline: codes, times and the accepted answer; never contact details."""
    s, a = view.status, view.appeal
    return {
        "registration_number": a.registration_number,
        "appeal_id": str(a.appeal_id),
        "status": s.status,
        "kind": a.submission.kind,
        "category": a.submission.category,
        "district": a.submission.district,
        "channel": a.submission.channel,
        "registered_at": a.registered_at.isoformat(),
        "due_at": s.due_at.isoformat() if s.due_at else None,
        "overdue": s.overdue,
        "executor_code": s.executor_code,
        "answer": s.answer,
        "answered_on_time": s.on_time,
        "consultation": a.submission.consultation is not None,
        "timeline": [{"event_type": e.event_type, "at": e.occurred_at.isoformat(), **e.details} for e in s.timeline],
    }


_UPLOAD_TYPES = {t: {"schema": {"type": "string", "format": "binary"}} for t in SIGNATURES}


def _command(event: AppealSubmitted, caller: Caller, request: Request) -> SubmitAppeal:
    """The submission as the verified caller made it: a signed-in citizen is its author, an
    operator answers and links as themself (the token's subject and name, never the body's)."""
    in_person = not caller.roles & {"operator", "adapter"}  # a citizen, signed in
    operator = (caller.subject, caller.name) if "operator" in caller.roles else None
    return to_command(event, correlation_id=request.headers.get("x-correlation-id"),
                      context=otel_context.get_current(), author_subject=caller.subject if in_person else None,
                      submitted_by=caller.subject, operator=operator)


async def _submission(request: Request) -> AppealSubmitted | JSONResponse:
    """The body as a submission, or the refusal that says why it is none."""
    try:
        body: Any = await request.json()
    except ValueError:
        return _refused([{"field": "", "message": "body is not JSON"}])
    if not isinstance(body, dict):
        return _refused([{"field": "", "message": "body must be a JSON object"}])
    body.setdefault("channel_message_id", f"http-{uuid4()}")
    try:
        return AppealSubmitted.model_validate(body)
    except ValidationError as exc:
        return _refused([{"field": field, "message": message} for field, message in field_errors(exc)])


_CALLER_PROPERTIES: dict[str, dict[str, Any]] = {
    "iin": {"type": ["string", "null"], "maxLength": 20}, "phone": {"type": ["string", "null"], "maxLength": 40},
    "email": {"type": ["string", "null"], "maxLength": 320}}


async def _caller(request: Request, *, number: bool = False) -> tuple[dict[str, Any], str] | JSONResponse:
    """The caller's IIN, phone (E.164) and e-mail as the operator typed them, checked; with
    ``number``, the registration number they gave too."""
    try:
        body: Any = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _refused([{"field": "", "message": "body must be a JSON object"}])
    reasons, given = [], {}
    for name in ("iin", "phone", "email"):
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > _CALLER_PROPERTIES[name]["maxLength"]):
            reasons.append({"field": name, "message": "must be text"})
            continue
        value = value.strip() if value else None
        if value and name == "iin" and (problem := iin_problem(value)):
            reasons.append({"field": "iin", "message": problem})
        elif value and name == "phone" and (value := normalise_phone(value)) is None:
            reasons.append({"field": "phone", "message": "not a valid phone number"})
        elif value and name == "email" and (value := normalise_email(value)) is None:
            reasons.append({"field": "email", "message": "not a valid e-mail address"})
        given[name] = value or None
    if not reasons and not any(given.values()):
        reasons.append({"field": "", "message": "give the caller's IIN, phone or e-mail"})
    registration_number = body.get("registration_number") if number else ""
    if number and (not isinstance(registration_number, str) or not 1 <= len(registration_number) <= 40):
        reasons.append({"field": "registration_number", "message": "must be 1-40 characters"})
    if reasons:
        return _refused(reasons)
    return given, str(registration_number).strip()


def router(catalog: Catalog, settings: IntakeSettings, store: ObjectStore, images: ImageCleaner) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["appeals"])

    @api.post("/attachments", status_code=201,
              summary="Upload a photo or a document to attach to an appeal (the raw bytes as the body)",
              description="JPEG, PNG or PDF, at most ATTACHMENT_MAX_BYTES; the content type is checked against "
                          "the bytes. An image is stored without its EXIF, XMP and text metadata (location, "
                          "device). Name the returned attachment_id in the submission's `attachments` (or, for an "
                          "executor's employee, in the answer's `attachments`: photos of the completed work).",
              openapi_extra={"requestBody": {"required": True, "content": _UPLOAD_TYPES}},
              responses={413: refusal("Larger than ATTACHMENT_MAX_BYTES"), 415: refusal("Not JPEG, PNG or PDF"),
                         429: refusal("The caller uploaded ATTACHMENT_QUOTA_PER_HOUR files in the last hour"),
                         422: refusal("The bytes are not what the content type says, or not a readable image")})
    async def upload(caller: Annotated[Caller, allow("operator", "adapter", "citizen", "executor")], request: Request,
                     uow: UnitOfWork, runtime: RuntimeDep) -> JSONResponse:
        data = await request.body()  # at most ATTACHMENT_MAX_BYTES: the body limit of this path says so
        stored = await handlers.upload_attachment(
            uow, store, data, request.headers.get("content-type", ""), uploaded_by=caller.subject,
            now=runtime.clock.now(), max_bytes=settings.attachment_max_bytes,
            quota=settings.attachment_quota_per_hour, strip=images)
        if isinstance(stored, handlers.Refused):
            return JSONResponse({"detail": stored.reason}, stored.status)
        return JSONResponse({"attachment_id": str(stored.attachment_id), "content_type": stored.content_type,
                             "size": stored.size, "sha256": stored.sha256,
                             "href": f"/v1/attachments/{stored.attachment_id}"}, 201)

    @api.get("/attachments/{attachment_id}", response_class=Response,
             summary="An appeal's photo or document: for the executor holding the appeal, inspectors, operators",
             responses={200: {"description": "The stored bytes", "content": {
                 **_UPLOAD_TYPES, "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                        403: refusal("An executor that does not hold the appeal"), **NOT_FOUND})
    async def attachment(attachment_id: UUID, caller: Annotated[Caller, allow("executor", "inspector", "operator")],
                         uow: UnitOfWork) -> Response:
        staff = bool(caller.roles & {"inspector", "operator"})
        found = await handlers.attachment_for(uow, store, attachment_id, executor=caller.executor_code, staff=staff)
        if isinstance(found, handlers.Refused):
            return JSONResponse({"detail": found.reason}, found.status)
        ref, data = found
        return Response(data, media_type=ref.content_type, headers={
            "Content-Disposition": f'attachment; filename="{ref.attachment_id}"', "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store", "ETag": f'"{ref.sha256}"'})

    @api.post(
        "/appeals",
        status_code=201,
        summary="Submit an appeal (front office, contact centre, portal)",
        description="Same validation and result as a submission on appeals.intake.v1. "
                    "channel_message_id is the idempotency key; when omitted, one is generated. "
                    "A citizen signed in with the city's IdP may submit in person through a "
                    "self-service channel (portal, mobile_app) and then follow the appeal with "
                    "the same token.",
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
            "schema": _SUBMISSION_SCHEMA}}},
            "responses": {"200": {"description": "A repeat: the first registration"},
                          "409": {"description": "The channel_message_id was used by another caller; nothing of "
                                                 "that appeal is told",
                                  "content": {"application/json": {"schema": {
                                      "type": "object", "properties": {"detail": {"type": "string"}},
                                      "required": ["detail"]}}}},
                          "422": {"description": "Refused, with field-level reasons"}}},
    )
    async def submit(caller: Annotated[Caller, allow("operator", "adapter", "citizen")], request: Request,
                     uow: UnitOfWork,
                     runtime: RuntimeDep) -> JSONResponse:
        event = await _submission(request)
        if isinstance(event, JSONResponse):
            return event
        with tracer().start_as_current_span("POST /v1/appeals", attributes={"appeals.channel": event.channel}) as span:
            command = _command(event, caller, request)
            [outcome] = await handlers.submit_appeals(
                uow, [command], catalog=catalog, now=runtime.clock.now(), announce_rejections=False,
                **settings.registration())
            if isinstance(outcome, handlers.Registered):  # ids only: `appeals trace` finds the appeal by them
                span.set_attributes({"appeals.subject": str(outcome.appeal.appeal_id),
                                     "appeals.registration_number": outcome.appeal.registration_number})
        if isinstance(outcome, handlers.Rejected):
            return _refused([{"field": r.field, "message": r.message} for r in outcome.reasons])
        if isinstance(outcome, handlers.Conflict):  # somebody else's message id: nothing of theirs is told
            return JSONResponse({"detail": outcome.reason}, status_code=409)
        appeal = outcome.appeal
        token = status_token(settings.token_secret(), appeal.appeal_id)  # for the submitting channel only
        return JSONResponse(
            {"appeal_id": str(appeal.appeal_id), "registration_number": appeal.registration_number,
             "registered_at": appeal.registered_at.isoformat(), "repeated": outcome.repeated,
             "status_token": token, "status_url": f"/v1/status/{appeal.registration_number}?token={token}"},
            status_code=200 if outcome.repeated else 201,
        )

    @api.post("/appeals/check", summary="Check a submission without registering it: every reason it would be refused",
              description="The same rules as POST /v1/appeals (the category's details, the IIN's check digit, the "
                          "name unless anonymous, a contact for replies), nothing stored or counted: the operators' "
                          "desk asks while the operator types. Files and a named earlier appeal are checked when "
                          "it is submitted.",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": _SUBMISSION_SCHEMA}}}},
              responses={200: {"description": "`reasons`: empty when it would be registered", "content": {
                  "application/json": {"schema": {"type": "object", "required": ["reasons"], "properties": {
                      "reasons": {"type": "array", "items": {"type": "object"}}}}}}},
                  422: refusal("Not a submission at all (no JSON object, a wrong type)")})
    async def check(caller: Annotated[Caller, allow("operator", "adapter", "citizen")],
                    request: Request) -> JSONResponse:
        event = await _submission(request)
        if isinstance(event, JSONResponse):
            return event
        reasons = handlers.check_submission(_command(event, caller, request), catalog)
        return JSONResponse({"reasons": [{"field": r.field, "message": r.message} for r in reasons]})

    @api.post("/callers/appeals", summary="A caller's earlier appeals, newest first (operators)",
              description="By the caller's IIN, phone or e-mail, compared through the keyed hashes re-appeals are "
                          "recognised by: nothing is searched in clear, and the body (not the URL) carries them, "
                          "so no log or trace holds them.",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                  "type": "object", "properties": _CALLER_PROPERTIES, "anyOf": [
                      {"required": [name]} for name in _CALLER_PROPERTIES]}}}}},
              responses={422: refusal("None given, an IIN whose check digit fails, no valid phone or e-mail")})
    async def callers_appeals(caller: Annotated[Caller, allow("operator")], request: Request,
                              uow: UnitOfWork) -> JSONResponse:
        given = await _caller(request)
        if isinstance(given, JSONResponse):
            return given
        views = await handlers.caller_appeals(uow, token_secret=settings.token_secret(), **given[0])
        return JSONResponse([_status_body(view) for view in views])

    @api.post("/callers/status", summary="An appeal's status for a caller who gives its number and confirms who "
                                         "they are (operators)",
              description="The status only when the IIN, phone or e-mail given is one the appeal carries; an "
                          "unknown number and an unconfirmed caller get the same 404.",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["registration_number"],
                  "properties": {"registration_number": {"type": "string"}, **_CALLER_PROPERTIES}}}}}},
              responses={404: refusal("Unknown number, or the caller did not confirm (the same answer)"),
                         422: refusal("No number, or no valid IIN, phone or e-mail")})
    async def callers_status(caller: Annotated[Caller, allow("operator")], request: Request,
                             uow: UnitOfWork) -> JSONResponse:
        given = await _caller(request, number=True)
        if isinstance(given, JSONResponse):
            return given
        contact, number = given
        view = await handlers.caller_status(uow, number, token_secret=settings.token_secret(), **contact)
        if view is None:
            return JSONResponse({"detail": "no appeal with that number for that caller"}, 404)
        return JSONResponse(_status_body(view))

    @api.get("/prepared-answers", summary="The prepared answers to consultations, by topic (operators, staff)",
             description="The shipped answers (appeals_contracts/data/prepared_answers.yaml), each overridden by "
                         "staff's change of its code; retired ones are marked `active: false`.")
    async def prepared_answers(caller: Annotated[Caller, allow("operator", "inspector", "akim_office")],
                               uow: UnitOfWork) -> list[dict[str, Any]]:
        return [a.as_json() for a in await handlers.prepared_answers(uow, topics=catalog.categories)]

    @api.put("/prepared-answers/{code}", summary="Add or change a prepared answer (inspectors)",
             description="`topic` a category code, `title` and `text` in kk, ru and en, `active` false to retire it. "
                         "Who changed it and when come from the token and the platform's clock.",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "required": ["topic", "title", "text"], "properties": {
                     "topic": {"type": "string"}, "active": {"type": "boolean"},
                     "title": {"type": "object", "additionalProperties": {"type": "string"}},
                     "text": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}},
             responses={422: refusal("No such topic, a language missing, too long, or a malformed code")})
    async def change_prepared_answer(code: str, caller: Annotated[Caller, allow("inspector")], request: Request,
                                     uow: UnitOfWork, runtime: RuntimeDep) -> JSONResponse:
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"detail": "body must be a JSON object"}, 422)
        changed = await handlers.change_prepared_answer(uow, {**body, "code": code}, topics=catalog.categories,
                                                        by=caller.subject, now=runtime.clock.now())
        if isinstance(changed, handlers.Refused):
            return JSONResponse({"detail": changed.reason}, changed.status)
        return JSONResponse(changed.as_json())

    @api.get("/appeals/{registration_number}", summary="An appeal's current status and timeline (staff)",
             responses=NOT_FOUND)
    async def status(registration_number: str, caller: Annotated[Caller, allow("operator", "inspector")],
                     uow: UnitOfWork) -> dict[str, Any]:
        view = await handlers.appeal_status(uow, registration_number)
        if view is None:
            raise HTTPException(404, f"no appeal numbered {registration_number}")
        return _status_body(view)

    @api.get("/status/{registration_number}",
             summary="The citizen's view: the number and its status token, or the author's own token",
             description="Either `token` (the status token handed to the submitting channel) or a "
                         "bearer token of the city's IdP whose subject submitted the appeal in person.",
             responses={401: refusal("A bearer token came and does not verify"),
                        404: refusal("Unknown number, or a missing or wrong token (the same answer)")})
    async def citizen_status(registration_number: str, uow: UnitOfWork,
                             caller: Annotated[Caller | None, CITIZEN],
                             token: str = Query("", max_length=200, description="The status token")) -> dict[str, Any]:
        author = caller.subject if caller is not None and "citizen" in caller.roles else None
        view = await handlers.appeal_status(uow, registration_number, token=token,
                                            token_secret=settings.token_secret(), author=author)
        if view is None:
            raise HTTPException(404, f"no appeal numbered {registration_number}")
        return _status_body(view)

    @api.post("/status/{registration_number}/verdict", status_code=201,
              summary="The citizen's verdict on the accepted answer: resolved or not, and a rating of 1-5",
              description="With the status token (or the author's own bearer token), once per accepted answer, "
                          "within VERDICT_WINDOW_DAYS of it. \"resolved\": false reopens the appeal with the "
                          "same executor.",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["resolved"], "properties": {
                      "resolved": {"type": "boolean"},
                      "rating": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
                      "comment": {"type": ["string", "null"], "maxLength": 2000,
                                  "description": "The citizen's own words, for the inspectors"}}}}}}},
              responses={401: refusal("A bearer token came and does not verify"),
                         404: refusal("Unknown number, or a missing or wrong token (the same answer)"),
                         409: refusal("No accepted answer to judge, the window has passed, or already judged"),
                         422: refusal("resolved missing, a rating outside 1-5, or a comment that is no text or "
                                      "longer than 2,000 characters")})
    async def give_verdict(registration_number: str, request: Request, uow: UnitOfWork, runtime: RuntimeDep,
                           caller: Annotated[Caller | None, CITIZEN],
                           token: str = Query("", max_length=200, description="The status token")) -> JSONResponse:
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        rating = body.get("rating") if isinstance(body, dict) else None
        if isinstance(rating, float) and rating.is_integer():  # JSON Schema's integer admits 1.0
            rating = int(rating)
        comment = body.get("comment") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("resolved"), bool) or not (
                rating is None or (type(rating) is int and 1 <= rating <= 5)) or not (
                comment is None or (isinstance(comment, str) and len(comment) <= 2000)):
            return JSONResponse({"detail": "send {\"resolved\": true|false, \"rating\": 1-5 or null, "
                                           "\"comment\": at most 2,000 characters or null}"}, 422)
        author = caller.subject if caller is not None and "citizen" in caller.roles else None
        outcome = await handlers.give_verdict(
            uow, registration_number, resolved=body["resolved"], rating=rating,
            via="http", now=runtime.clock.now(), window=timedelta(days=settings.verdict_window_days),
            token=token, token_secret=settings.token_secret(), author=author, comment=comment)
        if isinstance(outcome, handlers.Refused):
            return JSONResponse({"detail": outcome.reason}, outcome.status)
        return JSONResponse({"registration_number": registration_number, "resolved": outcome.resolved,
                             "rating": outcome.rating, "reopens": not outcome.resolved}, 201)

    @api.get("/my/appeals", summary="The appeals the signed-in citizen submitted in person, newest first")
    async def my_appeals(caller: Annotated[Caller, allow("citizen")], uow: UnitOfWork) -> list[dict[str, Any]]:
        return [_status_body(view) for view in await handlers.authored_appeals(uow, caller.subject)]

    return api
