"""What the adapter writes back in a letter's thread when intake refused it, or when it is too
large: what is missing, in the letter's language (``texts.yaml``). Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from appeals_runtime.i18n import Texts, catalogue

_RANGE = re.compile(r"(\d+)-(\d+)")
#: intake's field → the sentence saying what is missing.
_FIELDS = {"citizen.name": "missing_name", "text": "missing_text", "attachments": "missing_attachments",
           "citizen.email": "missing_email", "citizen": "missing_name", "language": "missing_text"}


def texts(language: str) -> Texts:
    return Texts(language, catalogue("appeals_mail.domain"))


def missing(reasons: Sequence[Mapping[str, str]], language: str) -> str:
    """The reply's body: what intake found missing, one line each, and how to complete it."""
    t = texts(language)
    lines: list[str] = []
    for reason in reasons:
        key = _FIELDS.get(str(reason.get("field", "")), "missing_other")
        if str(reason.get("field", "")).startswith("attributes."):
            key = "missing_other"
        found = _RANGE.search(str(reason.get("message", "")))
        line = t(key, low=found.group(1), high=found.group(2)) if key == "missing_text" and found else \
            t("missing_text_short") if key == "missing_text" else t(key)
        if line not in lines:
            lines.append(line)
    return "\n".join([t("refused_intro"), "", *(f"- {line}" for line in lines), "", t("refused_how"), "",
                      t("signature")])


def too_large(language: str, megabytes: int) -> str:
    t = texts(language)
    return "\n".join([t("too_large", mb=megabytes), "", t("signature")])
