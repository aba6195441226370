"""Open311 GeoReport v2 in intake's terms: a form-encoded service request becomes the same
submission every other path makes, and an appeal becomes a request with public fields only.

Service codes are category codes; ``service_request_id`` is the registration number. What a
request shows anyone: its number, status (open/closed) and a note, the service, the executor
responsible, when it was requested, last changed and is due, and the district. Never the
text, the address, the point, the attachments or anything of the citizen.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from appeals_contracts.languages import LANGUAGES
from appeals_intake.domain.fields import FieldDef, Value
from appeals_intake.domain.model import Appeal, Contact, Reason, SubmitAppeal
from appeals_intake.domain.places import Location
from appeals_intake.domain.status import AppealStatus

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
LOCALES = LANGUAGES
#: The kind of appeal a GeoReport request is: a citizen reports a matter (a statement).
KIND = "statement"
MAX_IDS, MAX_RESULTS, MAX_DAYS = 100, 1_000, 90
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,100})\](\[\])?$")

#: Our field paths in Open311's words, so a client's developer reads a reason in their terms.
_FIELD_NAMES = {"category": "service_code", "text": "description", "location": "lat/long", "address": "address_string",
                "citizen.name": "first_name/last_name", "citizen.phone": "phone", "citizen.email": "email",
                "citizen": "email/phone", "channel_message_id": "Idempotency-Key", "language": "locale"}

#: The note beside each status, per locale.
_NOTES = {
    "registered": {"kk": "Тіркелді", "ru": "Зарегистрировано", "en": "Registered"},
    "assigned": {"kk": "Орындаушыға жіберілді", "ru": "Передано исполнителю", "en": "With the responsible executor"},
    "answer_under_review": {"kk": "Жауап тексерілуде", "ru": "Ответ на проверке", "en": "Answer under review"},
    "in_rework": {"kk": "Жауап пысықталуда", "ru": "Ответ на доработке", "en": "Answer being reworked"},
    "answered": {"kk": "Жауап берілді", "ru": "Дан ответ", "en": "Answered"},
    "closed": {"kk": "Жабылды", "ru": "Закрыто", "en": "Closed"},
    "merged": {"kk": "Басқа өтінішпен біріктірілді", "ru": "Объединено с другим обращением",
               "en": "Merged with another appeal on the same matter"},
    "not_routed": {"kk": "Қаралмайды (анонимді өтініш)", "ru": "Не рассматривается (анонимное обращение)",
                   "en": "Not considered (anonymous appeal)"},
}
CLOSED = frozenset({"answered", "closed", "not_routed", "merged"})


class Open311Refused(Exception):
    """A request the API refuses: the HTTP status (400, 403, 404) and the reasons."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions


@dataclass(frozen=True)
class Service:
    code: str
    names: Mapping[str, str]
    group: str
    keywords: Mapping[str, str] = field(default_factory=dict)
    fields: tuple[FieldDef, ...] = ()


def locale(asked: str | None, accept_language: str | None, default: str) -> str:
    """The locale of names and notes: ``locale`` when it names one, else the first of
    Accept-Language's languages we have, else ``default``."""
    if asked and asked.strip().lower()[:2] in LOCALES:
        return asked.strip().lower()[:2]
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return default


def service_list(services: Sequence[Service], lang: str) -> list[dict[str, Any]]:
    return [{"service_code": s.code, "service_name": s.names.get(lang, s.code), "description": s.names.get(lang, ""),
             "metadata": bool(s.fields), "type": "realtime", "keywords": s.keywords.get(lang, ""), "group": s.group}
            for s in services]


def service_definition(service: Service, lang: str) -> dict[str, Any]:
    return {"service_code": service.code, "attributes": [
        {"variable": True, "code": f.code, "datatype": f.datatype, "required": f.required,
         "datatype_description": None, "order": f.order, "description": f.description.get(lang, f.code),
         "values": [{"key": c.key, "name": c.names.get(lang, c.key)} for c in f.values]}
        for f in service.fields]}


def submission(form: Sequence[tuple[str, str]], *, client: str, request_key: str, language: str,
               now: datetime) -> SubmitAppeal:
    """The submission a POST Service Request makes. Raises :class:`Open311Refused` (400) for
    what only Open311 asks (a location, lat with long); everything else is intake's ordinary
    validation, which the caller runs the same way as for every path."""
    values: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for name, value in form:
        if m := _ATTRIBUTE.match(name):
            attributes.setdefault(m.group(1), []).append(value)
        else:
            values.setdefault(name, value)
    service_code = values.get("service_code", "").strip()
    if not service_code:
        raise Open311Refused(400, "service_code was not provided")
    point = _location(values.get("lat", ""), values.get("long", ""))
    address = values.get("address_string", "").strip() or None
    if point is None and address is None:
        if values.get("address_id", "").strip():
            raise Open311Refused(400, "address_id is not supported here: send lat and long, or address_string")
        raise Open311Refused(400, "a location is required: lat and long, or address_string")
    full_name = " ".join(p for p in (values.get("first_name", "").strip(), values.get("last_name", "").strip())
                         if p) or None
    email, phone = values.get("email", "").strip() or None, values.get("phone", "").strip() or None
    contact = Contact(name=full_name, phone=phone, email=email, preferred_language=language)
    anonymous = contact.is_empty()
    return SubmitAppeal(
        channel="open311", channel_message_id=f"{client}:{request_key}", kind=KIND, category=service_code,
        text=values.get("description", ""), language=language, address=address, location=point,
        attributes={code: _one_or_many(vs) for code, vs in attributes.items()}, anonymous=anonymous,
        citizen=None if anonymous else contact, submitted_at=now)


def _location(lat: str, long: str) -> Location | None:
    if not lat.strip() and not long.strip():
        return None
    if not (lat.strip() and long.strip()):
        raise Open311Refused(400, "lat and long must both be sent")
    try:
        point = Location(float(lat), float(long))
    except ValueError:
        raise Open311Refused(400, "lat and long must be numbers (WGS 84 degrees)") from None
    if not (math.isfinite(point.lat) and math.isfinite(point.long)
            and -90 <= point.lat <= 90 and -180 <= point.long <= 180):
        raise Open311Refused(400, "lat must be within ±90 and long within ±180")
    return point


def _one_or_many(values: list[str]) -> Value:
    return values[0] if len(values) == 1 else tuple(values)


def refusal(reasons: Sequence[Reason], known_service: bool) -> Open311Refused:
    """Intake's reasons in Open311's words; an unknown service_code is a 400 of its own."""
    if not known_service:
        return Open311Refused(400, "service_code was not found: GET services for the list")
    return Open311Refused(400, *(f"{_field_name(r.field)}: {r.message}" for r in reasons))


def _field_name(field_path: str) -> str:
    if field_path.startswith("attributes."):
        return f"attribute[{field_path.removeprefix('attributes.')}]"
    return _FIELD_NAMES.get(field_path, field_path)


def request_view(appeal: Appeal, status: AppealStatus, *, lang: str, service_names: Mapping[str, Mapping[str, str]],
                 executor_names: Mapping[str, Mapping[str, str]],
                 district_names: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """A request's public fields (the order of the specification)."""
    s = appeal.submission
    updated = max((e.occurred_at for e in status.timeline), default=appeal.registered_at)
    executor = status.executor_code
    return {
        "service_request_id": appeal.registration_number,
        "status": "closed" if status.status in CLOSED else "open",
        "status_notes": _NOTES.get(status.status, {}).get(lang, status.status),
        "service_name": service_names.get(s.category, {}).get(lang, s.category),
        "service_code": s.category,
        "agency_responsible": executor_names.get(executor, {}).get(lang, executor) if executor else None,
        "service_notice": None,
        "requested_datetime": w3(appeal.registered_at),
        "updated_datetime": w3(max(updated, appeal.registered_at)),
        "expected_datetime": w3(status.due_at) if status.due_at else None,
        "address": district_names.get(s.district, {}).get(lang) if s.district else None,
    }


def w3(at: datetime) -> str:
    """The W3C date-time form the specification asks for, with its offset (UTC: Z)."""
    text = at.isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def date_range(start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """The requested window: at most 90 days; the most recent 90 days by default."""
    def parse(value: str, name: str) -> datetime:
        try:
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise Open311Refused(400, f"{name} must be a W3C date-time, e.g. 2026-01-01T00:00:00Z") from None
        if at.tzinfo is None:
            raise Open311Refused(400, f"{name} needs a time zone (Z or an offset)")
        return at

    window = timedelta(days=MAX_DAYS)
    first = parse(start, "start_date") if start else None
    last = parse(end, "end_date") if end else None
    if first is None and last is None:
        last = now
    if first is None:
        assert last is not None
        first = last - window
    if last is None:
        last = first + window
    if last < first:
        raise Open311Refused(400, "end_date is before start_date")
    if last - first > window:
        raise Open311Refused(400, f"start_date and end_date may span at most {MAX_DAYS} days")
    return first, last


def listed(values: str | None, allowed: frozenset[str] | None, name: str) -> list[str]:
    """A comma-delimited argument's values; with ``allowed``, each must be one of them."""
    items = [v.strip() for v in (values or "").split(",") if v.strip()]
    if allowed is not None and (bad := [v for v in items if v not in allowed]):
        raise Open311Refused(400, f"{name} must be among {', '.join(sorted(allowed))}; not {bad[0][:50]}")
    return items
