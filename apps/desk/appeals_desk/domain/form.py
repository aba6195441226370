"""The operator's form: what the operator typed as intake's submission (the category's extra
details as ``appeals_runtime.forms`` gives them), and intake's reasons as sentences next to the
fields they concern. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from appeals_contracts.languages import choose_language
from appeals_contracts.prepared_answers import PreparedAnswer
from appeals_runtime.forms import Detail
from appeals_runtime.i18n import Texts

#: The channels an operator registers through.
CHANNELS = ("contact_centre", "front_office")
#: The kinds, a consultation last: most callers who want an explanation are answered at once.
KINDS = ("complaint", "statement", "proposal", "request", "response", "consultation")
CONTACT_FIELDS = ("name", "iin", "phone", "email")


def _text(form: Mapping[str, str], key: str) -> str | None:
    value = (form.get(key) or "").strip()
    return value or None


def consultation(form: Mapping[str, str], answers: Mapping[str, PreparedAnswer], language: str) -> dict[str, Any] | None:
    """The answer given at once: the operator's words, else the chosen prepared answer in the
    citizen's language; ``None`` when neither (or not a consultation)."""
    if form.get("kind") != "consultation":
        return None
    prepared = answers.get(form.get("prepared") or "")
    words = _text(form, "answer")
    if words is None and prepared is None:
        return None
    text = words or (prepared.text[language] if prepared else "")
    same = prepared is not None and (words is None or " ".join(words.split()) == " ".join(
        prepared.text[language].split()))
    return {"answer": text, "prepared_answer": prepared.code if same and prepared else None,
            "reply_wanted": form.get("reply_wanted") == "on"}


def submission(form: Mapping[str, str], lists: Mapping[str, Sequence[str]], details: Sequence[Detail], *,
               answers: Mapping[str, PreparedAnswer], page_language: str) -> dict[str, Any]:
    """Intake's submission from the form's values, as typed: intake checks every rule."""
    anonymous = form.get("anonymous") == "on"
    language = choose_language(form.get("language"), default=page_language)
    channel = form.get("channel") if form.get("channel") in CHANNELS else CHANNELS[0]
    body: dict[str, Any] = {
        "channel": channel, "channel_message_id": f"desk-{form.get('message_id') or ''}",
        "kind": form.get("kind") or "", "category": form.get("category") or "",
        "district": _text(form, "district"), "address": _text(form, "address"), "text": form.get("text") or "",
        "language": language, "anonymous": anonymous,
        "reports_crime_or_threat": anonymous and form.get("crime") == "on", "attributes": {},
    }
    for d in details:
        if d.datatype == "multivaluelist":
            if values := [v for v in lists.get(d.form_name, ()) if v]:
                body["attributes"][d.code] = values
        elif value := _text(form, d.form_name):
            body["attributes"][d.code] = value
    if not anonymous:
        body["citizen"] = {**{k: _text(form, k) for k in CONTACT_FIELDS}, "preferred_language": language}
    if (given := consultation(form, answers, language)) is not None:
        body["consultation"] = given
    if re_appeal_of := _text(form, "re_appeal_of"):
        body["re_appeal_of"] = re_appeal_of
    return body


def caller(form: Mapping[str, str]) -> dict[str, str | None]:
    """Who the caller says they are, to find their earlier appeals or confirm a status."""
    return {k: _text(form, k) for k in ("iin", "phone", "email")}


#: Intake's field (dotted) → the form's field the sentence stands next to.
_FIELD = {"citizen.name": "name", "citizen.iin": "iin", "citizen.phone": "phone", "citizen.email": "email",
          "iin": "iin", "phone": "phone", "email": "email", "citizen": "contact",
          "citizen.preferred_language": "language", "text": "text", "kind": "kind", "category": "category",
          "district": "district", "address": "address", "language": "language", "channel": "channel",
          "consultation": "answer", "consultation.answer": "answer", "consultation.reply_wanted": "reply_wanted",
          "re_appeal_of": "re_appeal_of", "registration_number": "number"}
_RANGE = re.compile(r"(\d+)-(\d+)")


def refusals(reasons: Sequence[Mapping[str, str]], t: Texts) -> dict[str, str]:
    """Intake's reasons as sentences in the page's language, by form field (the first of each;
    one for no field of the form under ``""``, the form's top)."""
    out: dict[str, str] = {}
    for reason in reasons:
        where, message = str(reason.get("field", "")), str(reason.get("message", ""))
        if where.startswith("attributes."):
            out.setdefault(f"attr_{where.removeprefix('attributes.')}", t("err_detail"))
            continue
        form_field = _FIELD.get(where, "")
        out.setdefault(form_field, _sentence(form_field, message, t))
    return out


def _sentence(form_field: str, message: str, t: Texts) -> str:
    if form_field == "text" and (m := _RANGE.search(message)):
        return t("err_text", low=m.group(1), high=m.group(2))
    if form_field == "iin":
        return t("err_iin_check") if "check digit" in message else t("err_iin")
    if form_field == "contact":
        return t("err_contact_anonymous") if "anonymous appeal carries" in message else \
            t("err_contact_reply") if "phone or an e-mail" in message else t("err_contact")
    if form_field == "re_appeal_of":
        return t("err_re_appeal_foreign") if "is not on that appeal" in message else t("err_re_appeal")
    if form_field == "" and "IIN, phone or e-mail" in message:
        return t("err_caller")
    key = f"err_{form_field}" if form_field else "err_other"
    return t(key) if t.has(key) else t("err_other")
