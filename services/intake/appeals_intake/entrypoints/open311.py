"""Open311 GeoReport v2 (docs/open311.md): services, service requests and tokens, in XML and
JSON, under ``/open311``. A POST goes through the same validation, idempotency and numbering
as every other intake path (``handlers.submit_appeals``); reads show public fields only."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, cast
from urllib.parse import parse_qsl
from uuid import UUID, uuid4
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from opentelemetry import context as otel_context

from appeals_contracts.reference import load_reference
from appeals_intake import handlers
from appeals_intake.adapters import media
from appeals_intake.adapters.images import ImageCleaner
from appeals_intake.adapters.object_store import ObjectStore
from appeals_intake.adapters.open311_clients import Open311Clients
from appeals_intake.adapters.unit_of_work import PostgresUnitOfWork
from appeals_intake.config import IntakeSettings
from appeals_intake.domain import open311
from appeals_intake.domain.model import Catalog
from appeals_intake.domain.open311 import Open311Refused
from appeals_runtime.auth import PUBLIC, Access, Caller
from appeals_runtime.service import RuntimeDep, UnitOfWorkDep
from appeals_runtime.telemetry import tracer

UnitOfWork = Annotated[PostgresUnitOfWork, UnitOfWorkDep]
FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
#: XML element of each item of a list, per the specification's examples (the Spark convention).
_ITEM = {"services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
         "errors": "error", "endpoints": "endpoint", "formats": "format"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BODY = {"content": {"text/xml": {"schema": {"type": "string"}}, "application/json": {"schema": {}}}}
_ERRORS = {"description": "The specification's error list: code and description of each error", **_BODY}
#: What every GeoReport route answers: the document in XML or JSON, or an error list.
ANSWERS: dict[int | str, dict[str, Any]] = {200: {"description": "XML or JSON, as the path asks", **_BODY},
                                            400: _ERRORS, 404: _ERRORS}
WITH_KEY = {**ANSWERS, 403: _ERRORS}  # a window the lookup by number ignores


def render(fmt: str, root: str, items: Any, status: int = 200) -> Response:
    """``items`` (a list, or one object for a service definition) as XML or JSON, UTF-8."""
    if fmt == "json":
        return Response(json.dumps(items, ensure_ascii=False), status_code=status, media_type=FORMATS["json"])
    element = ET.Element(root)
    if isinstance(items, list):
        for item in items:
            _xml(element, _ITEM[root], item)
    else:
        for key, value in items.items():
            _xml(element, key, value)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return Response(body, status_code=status, media_type=FORMATS["xml"])


def _xml(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml(element, k, v)
    elif isinstance(value, list):
        for v in value:
            _xml(element, _ITEM.get(tag, "item"), v)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def errors(fmt: str, status: int, descriptions: Sequence[str]) -> Response:
    """The specification's error list: ``<errors><error><code/><description/></error></errors>``."""
    return render(fmt if fmt in FORMATS else "xml", "errors",
                  [{"code": status, "description": d} for d in descriptions], status)


def _format_of(path: str) -> str:
    return path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else "xml"


class Open311Route(APIRoute):
    """Refusals of the framework (a bad key, a malformed argument) in the specification's
    error format and the format the path asks for."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            fmt = _format_of(request.url.path)
            try:
                return await handler(request)
            except Open311Refused as refused:
                return errors(fmt, refused.status, refused.descriptions)
            except RequestValidationError as invalid:
                return errors(fmt, 400, [f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"
                                         for e in invalid.errors()])
            except HTTPException as refused:
                return errors(fmt, refused.status_code, [str(refused.detail)])

        return handle


class Open311Key(Access):
    """An Open311 client's ``api_key`` (form field of a POST, query argument of a GET) makes the
    caller that client, an adapter identity; a missing or unknown key is 403."""

    def __init__(self, clients: Open311Clients) -> None:
        super().__init__(frozenset({"adapter"}))
        self._clients = clients

    async def __call__(self, request: Request) -> Caller:
        key = request.query_params.get("api_key", "")
        if request.method == "POST":
            key = dict(_form(await request.body())).get("api_key", key)
        client = self._clients.client(key.strip())
        if client is None:
            raise Open311Refused(403, "api_key is missing or invalid")
        caller = Caller(subject=f"open311:{client}", roles=frozenset({"adapter"}))
        request.state.caller = caller
        return caller


def _form(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise Open311Refused(400, "the body must be application/x-www-form-urlencoded in UTF-8") from None


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Refused(404, "the format must be xml or json")
    return fmt


def router(catalog: Catalog, settings: IntakeSettings, clients: Open311Clients, store: ObjectStore,
           images: ImageCleaner) -> APIRouter:
    api = APIRouter(prefix="/open311", tags=["open311"], route_class=Open311Route,
                    default_response_class=Response)
    ref = load_reference()
    categories = ref.categories.entries
    services = [open311.Service(code, e.names, str(e.attributes.get("group", "other")),
                                keywords=dict(cast(Mapping[str, Any], e.attributes.get("keywords") or {})), fields=catalog.fields.of(code))
                for code, e in categories.items() if e.attributes.get("active", True) and code in catalog.categories]
    by_code = {s.code: s for s in services}
    names = {"service_names": {c: e.names for c, e in categories.items()},
             "executor_names": {c: e.names for c, e in ref.executors.entries.items()},
             "district_names": {c: e.names for c, e in ref.districts.entries.items()}}
    client_key = Open311Key(clients)

    def lang(request: Request) -> str:
        return open311.locale(request.query_params.get("locale"), request.headers.get("accept-language"),
                              settings.open311_default_locale)

    @api.get("/discovery.{fmt}", dependencies=[PUBLIC], responses=ANSWERS, summary="Service discovery: where GeoReport v2 answers")
    async def discovery(fmt: str, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return render(_fmt(fmt), "discovery", {
            "changeset": "2026-11-25T00:00:00Z", "contact": "Open Almaty: see docs/open311.md", "key_service": "",
            "endpoints": [{"specification": open311.SPECIFICATION, "url": f"{base}/open311/v2",
                           "changeset": "2026-11-25T00:00:00Z", "type": "production",
                           "formats": ["text/xml", "application/json"]}]})

    @api.get("/v2/services.{fmt}", dependencies=[PUBLIC], responses=ANSWERS,
             summary="The service list: the category taxonomy, names in the locale (kk, ru, en)")
    async def service_list(fmt: str, request: Request) -> Response:
        return render(_fmt(fmt), "services", open311.service_list(services, lang(request)))

    @api.get("/v2/services/{service_code}.{fmt}", dependencies=[PUBLIC], responses=ANSWERS,
             summary="A service definition: the extra details (attributes) a category asks for")
    async def service_definition(service_code: str, fmt: str, request: Request) -> Response:
        fmt = _fmt(fmt)
        service = by_code.get(service_code)
        if service is None:
            raise Open311Refused(404, "service_code was not found: GET services for the list")
        return render(fmt, "service_definition", open311.service_definition(service, lang(request)))

    @api.post("/v2/requests.{fmt}", responses={**WITH_KEY, 201: {"description": "Registered", **_BODY}},
              summary="Create a service request (form-encoded, with api_key)",
              description="Registered at once: the answer carries service_request_id, the registration "
                          "number. An Idempotency-Key header makes a retry return the first registration.")
    async def create(fmt: str, request: Request, uow: UnitOfWork, runtime: RuntimeDep,
                     caller: Caller = Depends(client_key)) -> Response:  # noqa: B008 - the key registry is local
        fmt = _fmt(fmt)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise Open311Refused(400, "send the request as application/x-www-form-urlencoded")
        form = _form(await request.body())
        request_key = request.headers.get("idempotency-key", "").strip() or str(uuid4())
        if len(request_key) > 100:
            raise Open311Refused(400, "Idempotency-Key must be at most 100 characters")
        client = caller.subject.removeprefix("open311:")
        command = open311.submission(form, client=client, request_key=request_key, language=lang(request),
                                     now=runtime.clock.now())
        command = replace(command, correlation_id=request.headers.get("x-correlation-id"),
                          context=otel_context.get_current())
        media_url = dict(form).get("media_url", "").strip()
        if media_url and not await uow.appeals.find_by_channel_keys([command.channel_key]):  # a retry has it
            command = replace(command, attachments=(await _media(media_url, caller, uow, runtime),))
        with tracer().start_as_current_span("POST /open311/v2/requests", attributes={"appeals.channel": "open311"}):
            [outcome] = await handlers.submit_appeals(
                uow, [command], catalog=catalog, now=runtime.clock.now(), announce_rejections=False,
                **settings.registration())
        if isinstance(outcome, handlers.Rejected):
            refused = open311.refusal(outcome.reasons, command.category in catalog.categories)
            return errors(fmt, refused.status, refused.descriptions)
        assert isinstance(outcome, handlers.Registered)  # Open311 keys carry the client: never another's
        account = dict(form).get("account_id") or None
        return render(fmt, "service_requests", [{"service_request_id": outcome.appeal.registration_number,
                                                 "service_notice": None, "account_id": account}],
                      200 if outcome.repeated else 201)

    @api.get("/v2/tokens/{token}.{fmt}", responses=WITH_KEY,
             summary="The service_request_id of a request by the Idempotency-Key it was sent with (api_key needed)")
    async def token(token: str, fmt: str, uow: UnitOfWork,
                    caller: Caller = Depends(client_key)) -> Response:  # noqa: B008
        fmt = _fmt(fmt)
        key = ("open311", f"{caller.subject.removeprefix('open311:')}:{token}")
        found = (await uow.appeals.find_by_channel_keys([key])).get(key)
        if found is None:
            raise Open311Refused(404, "no request was sent with this token")
        return render(fmt, "service_requests", [{"service_request_id": found.registration_number, "token": token}])

    @api.get("/v2/requests.{fmt}", dependencies=[PUBLIC], responses=ANSWERS,
             summary="Requests by id, or by service_code, status and a date window (at most 90 days, 1,000 results)")
    async def requests(fmt: str, request: Request, uow: UnitOfWork, runtime: RuntimeDep) -> Response:
        fmt, q = _fmt(fmt), request.query_params
        numbers = open311.listed(q.get("service_request_id"), None, "service_request_id")[:open311.MAX_IDS]
        codes = open311.listed(q.get("service_code"), frozenset(by_code), "service_code")
        statuses = set(open311.listed(q.get("status"), frozenset({"open", "closed"}), "status"))
        start, end = open311.date_range(q.get("start_date"), q.get("end_date"), runtime.clock.now())
        views = await handlers.public_requests(
            uow, numbers=numbers, categories=codes, start=start, end=end, limit=open311.MAX_RESULTS,
            statuses=lambda s: not statuses or ("closed" if s.status in open311.CLOSED else "open") in statuses)
        language = lang(request)
        return render(fmt, "service_requests",
                      [open311.request_view(v.appeal, v.status, lang=language, **names) for v in views])

    @api.get("/v2/requests/{service_request_id}.{fmt}", dependencies=[PUBLIC], responses=ANSWERS,
             summary="One request's public fields")
    async def one_request(service_request_id: str, fmt: str, request: Request, uow: UnitOfWork) -> Response:
        fmt = _fmt(fmt)
        [*views] = await handlers.public_requests(uow, numbers=[service_request_id], start=_EPOCH, end=_EPOCH)
        if not views:
            raise Open311Refused(404, "service_request_id was not found")
        return render(fmt, "service_requests",
                      [open311.request_view(views[0].appeal, views[0].status, lang=lang(request), **names)])

    async def _media(url: str, caller: Caller, uow: PostgresUnitOfWork, runtime: Any) -> UUID:
        """The media_url fetched (from an allowed host) and stored as an attachment."""
        try:
            data, content_type = await media.fetch(url, hosts=settings.open311_media_hosts,
                                                   max_bytes=settings.attachment_max_bytes,
                                                   timeout_s=settings.media_fetch_timeout_s)
        except media.MediaRefused as refused:
            raise Open311Refused(400, f"media_url: {refused}") from None
        stored = await handlers.upload_attachment(
            uow, store, data, content_type, uploaded_by=caller.subject, now=runtime.clock.now(),
            max_bytes=settings.attachment_max_bytes, quota=settings.attachment_quota_per_hour, strip=images)
        if isinstance(stored, handlers.Refused):
            raise Open311Refused(400, f"media_url: {stored.reason}")
        return stored.attachment_id

    return api
