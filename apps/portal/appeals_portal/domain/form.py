"""The submission form: the taxonomy as a citizen chooses from it (grouped, searchable), a
category's extra details, the form's values as intake's submission, and intake's refusals as
sentences next to the fields they concern. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from appeals_contracts.reference import Reference
from appeals_runtime.i18n import Texts  # any language's catalogue: the portal's words or another
from appeals_runtime.forms import Choice as Choice, Detail as Detail  # the portal's form speaks of them too

#: The order groups are offered in; a group the reference data adds later comes last.
GROUP_ORDER = ("city_environment", "infrastructure", "movement", "social", "education", "other")
#: Kinds a citizen chooses from on the portal (a consultation is the contact centre's).
KINDS = ("complaint", "statement", "proposal", "request", "response")


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    items: list[Choice]


def _fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


def category_groups(reference: Reference, t: Texts, query: str = "") -> list[Group]:
    """Active categories by group in the page's language; with ``query``, only those whose
    name or keywords in any language contain each of its words."""
    words = [_fold(w) for w in query.split() if w.strip()]
    groups: dict[str, list[Choice]] = {}
    for code, entry in reference.categories.entries.items():
        if entry.attributes.get("active") is False:
            continue
        keywords = entry.attributes.get("keywords")
        said = keywords.values() if isinstance(keywords, Mapping) else ()
        haystack = _fold(" ".join([*entry.names.values(), *(str(k) for k in said)]))
        if all(w in haystack for w in words):
            groups.setdefault(str(entry.attributes.get("group") or "other"), []).append(
                Choice(code, entry.names[t.language]))
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    return [Group(g, t(f"group_{g}") if t.has(f"group_{g}") else g, sorted(items, key=lambda c: c.name))
            for g, items in sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))]


def _text(form: Mapping[str, str], key: str) -> str | None:
    value = (form.get(key) or "").strip()
    return value or None


def submission(form: Mapping[str, str], lists: Mapping[str, Sequence[str]], details: Sequence[Detail], *,
               page_language: str, message_id: str, attachments: Sequence[str]) -> dict[str, Any]:
    """Intake's submission (``POST /v1/appeals``) from the form's values, as typed: intake
    checks every rule and says what is wrong."""
    anonymous = form.get("anonymous") == "on"
    reply_language = form.get("language") or page_language
    body: dict[str, Any] = {
        "channel": "portal", "channel_message_id": f"web-{message_id}", "kind": form.get("kind") or "",
        "category": form.get("category") or "", "district": _text(form, "district"),
        "address": _text(form, "address"), "text": form.get("text") or "", "language": page_language,
        "anonymous": anonymous, "reports_crime_or_threat": anonymous and form.get("crime") == "on",
        "attachments": list(attachments),
        "attributes": {},
    }
    if (point := location(form)) is not None:
        body["location"] = point
    for d in details:
        if d.datatype == "multivaluelist":
            values = [v for v in lists.get(d.form_name, ()) if v]
            if values:
                body["attributes"][d.code] = values
        elif value := _text(form, d.form_name):
            body["attributes"][d.code] = value
    if not anonymous:
        body["citizen"] = {"name": _text(form, "name"), "iin": _text(form, "iin"), "phone": _text(form, "phone"),
                           "email": _text(form, "email"), "preferred_language": reply_language}
    return body


def location(form: Mapping[str, str]) -> dict[str, float] | None:
    """The point the browser gave, or None when it gave none. ValueError when the hidden
    fields hold something else (one without the other, or no number)."""
    lat, long = _text(form, "lat"), _text(form, "long")
    if lat is None and long is None:
        return None
    if lat is None or long is None:
        raise ValueError("a location needs both lat and long")
    return {"lat": float(lat), "long": float(long)}


#: Intake's field (dotted) → the form's field the sentence stands next to.
_FIELD = {"citizen.name": "name", "citizen.iin": "iin", "citizen.phone": "phone", "citizen.email": "email",
          "citizen": "contact", "citizen.preferred_language": "language", "location": "location",
          "attachments": "photos", "text": "text", "kind": "kind", "category": "category", "district": "district",
          "address": "address", "language": "language"}
_RANGE = re.compile(r"(\d+)-(\d+)")


def refusals(reasons: Sequence[Mapping[str, str]], t: Texts) -> dict[str, str]:
    """Intake's reasons as sentences in the page's language, by form field (the first reason
    of each field; a reason for no field of the form goes under ``""``, the form's top)."""
    out: dict[str, str] = {}
    for reason in reasons:
        where, message = str(reason.get("field", "")), str(reason.get("message", ""))
        if where.startswith("attributes."):
            form_field, sentence = f"attr_{where.removeprefix('attributes.')}", t("err_detail")
        else:
            form_field = _FIELD.get(where, "")
            sentence = _sentence(form_field, message, t)
        out.setdefault(form_field, sentence)
    return out


def _sentence(form_field: str, message: str, t: Texts) -> str:
    if form_field == "text" and (m := _RANGE.search(message)):
        return t("err_text", low=m.group(1), high=m.group(2))
    if form_field == "contact":
        return t("err_contact_anonymous") if "anonymous appeal carries" in message else t("err_contact")
    if form_field == "district" and "location lies in" in message:
        return t("err_district_location")
    key = f"err_{form_field}" if form_field else "err_other"
    return t(key) if t.has(key) else t("err_other")
