"""The prepared answers to consultations that operators give at once: reference data shipped as
``data/prepared_answers.yaml``, and changed by staff through intake (which keeps the changes and
serves the list). Every answer is checked the same way: a stable code, a topic that is a
category, a title and a text in kk, ru and en."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from appeals_contracts.languages import LANGUAGES


@dataclass(frozen=True)
class PreparedAnswer:
    code: str
    topic: str  # a category code: the report counts the consultation under it
    title: dict[str, str]
    text: dict[str, str]
    active: bool = True  # offered to operators (staff retire an answer instead of deleting it)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "topic": self.topic, "title": dict(self.title), "text": dict(self.text),
                "active": self.active}


class PreparedAnswersError(ValueError):
    """The file is not what the desk can offer (a missing language, an unknown topic, a repeat)."""


def parse(text: str, *, topics: Collection[str]) -> dict[str, PreparedAnswer]:
    """The answers by code, in the file's order; every one in kk, ru and en, under a known topic."""
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict) or not isinstance(raw.get("version"), int) or not isinstance(raw.get("items"), list):
        raise PreparedAnswersError("a prepared answers file has an integer version and a list of items")
    found: dict[str, PreparedAnswer] = {}
    for item in raw["items"]:
        answer = checked(item, topics=topics)
        if answer.code in found:
            raise PreparedAnswersError(f"prepared answer {answer.code!r}: a code of its own is needed")
        found[answer.code] = answer
    return found


_CODE = re.compile(r"^[a-z0-9_]{2,60}$")


def checked(item: Mapping[str, Any], *, topics: Collection[str]) -> PreparedAnswer:
    """One answer as staff or the file give it, or :class:`PreparedAnswersError` saying why not."""
    code = str(item.get("code") or "")
    if not _CODE.match(code):
        raise PreparedAnswersError(f"prepared answer {code!r}: a code of 2-60 lowercase letters, digits and _")
    if item.get("topic") not in topics:
        raise PreparedAnswersError(f"prepared answer {code!r}: topic {item.get('topic')!r} is no category")
    title, body = item.get("title") or {}, item.get("text") or {}
    if not isinstance(title, Mapping) or not isinstance(body, Mapping) or any(
            not str(title.get(lang) or "").strip() or not str(body.get(lang) or "").strip() for lang in LANGUAGES):
        raise PreparedAnswersError(f"prepared answer {code!r}: a title and a text in kk, ru and en are needed")
    if any(len(str(title[lang])) > 200 or len(str(body[lang])) > 4000 for lang in LANGUAGES):
        raise PreparedAnswersError(f"prepared answer {code!r}: a title of at most 200 and a text of at most "
                                   "4,000 characters")
    return PreparedAnswer(code, str(item["topic"]), {k: str(title[k]).strip() for k in LANGUAGES},
                          {k: str(body[k]).strip() for k in LANGUAGES}, item.get("active", True) is not False)


@cache
def bundled(topics: frozenset[str]) -> dict[str, PreparedAnswer]:
    """The answers shipped with the contracts (``data/prepared_answers.yaml``)."""
    text = resources.files("appeals_contracts.data").joinpath("prepared_answers.yaml").read_text("utf-8")
    return parse(text, topics=topics)


def by_topic(answers: dict[str, PreparedAnswer]) -> dict[str, list[PreparedAnswer]]:
    out: dict[str, list[PreparedAnswer]] = {}
    for answer in answers.values():
        out.setdefault(answer.topic, []).append(answer)
    return out
