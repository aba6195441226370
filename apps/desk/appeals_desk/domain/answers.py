"""The prepared answers to consultations: data the city's staff keep (YAML), read and checked
once at start. Pure: the file's text in, the answers out."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import yaml

LANGUAGES = ("kk", "ru", "en")


@dataclass(frozen=True)
class PreparedAnswer:
    code: str
    topic: str  # a category code: the report counts the consultation under it
    title: dict[str, str]
    text: dict[str, str]


class PreparedAnswersError(ValueError):
    """The file is not what the desk can offer (a missing language, an unknown topic, a repeat)."""


def parse(text: str, *, topics: Collection[str]) -> dict[str, PreparedAnswer]:
    """The answers by code, in the file's order; every one in kk, ru and en, under a known topic."""
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict) or not isinstance(raw.get("version"), int) or not isinstance(raw.get("items"), list):
        raise PreparedAnswersError("a prepared answers file has an integer version and a list of items")
    found: dict[str, PreparedAnswer] = {}
    for item in raw["items"]:
        code = str(item.get("code") or "")
        if not code or code in found:
            raise PreparedAnswersError(f"prepared answer {code!r}: a code of its own is needed")
        if item.get("topic") not in topics:
            raise PreparedAnswersError(f"prepared answer {code!r}: topic {item.get('topic')!r} is no category")
        title, body = item.get("title") or {}, item.get("text") or {}
        if any(not str(title.get(lang) or "").strip() or not str(body.get(lang) or "").strip() for lang in LANGUAGES):
            raise PreparedAnswersError(f"prepared answer {code!r}: a title and a text in kk, ru and en are needed")
        found[code] = PreparedAnswer(code, str(item["topic"]), {k: str(title[k]) for k in LANGUAGES},
                                     {k: str(body[k]).strip() for k in LANGUAGES})
    return found


def by_topic(answers: dict[str, PreparedAnswer]) -> dict[str, list[PreparedAnswer]]:
    out: dict[str, list[PreparedAnswer]] = {}
    for answer in answers.values():
        out.setdefault(answer.topic, []).append(answer)
    return out
