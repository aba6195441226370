"""The platform's languages and its city's time, for every page people read: the staff console,
the citizen's portal, the executors' workspace. Pure: constants, the choice of a language, and
a text catalogue read in one language (times written as Almaty reads them)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import yaml
from babel.dates import format_date, format_datetime

from appeals_contracts.languages import ALMATY, LANGUAGES, choose_language

#: Babel's locale per language: the date format a reader of that language expects.
LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_GB"}
#: Each language's name in itself, for the switch on every page.
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


@functools.cache
def catalogue(package: str, name: str = "texts.yaml") -> dict[str, dict[str, str]]:
    """A text catalogue (``key: {kk, ru, en}``) shipped in ``package``."""
    texts: dict[str, dict[str, str]] = yaml.safe_load(resources.files(package).joinpath(name).read_text("utf-8"))
    return texts


def _instant(at: datetime | str) -> datetime:
    return datetime.fromisoformat(at) if isinstance(at, str) else at


class Texts:
    """A catalogue in one language; an unknown key is a programming error (a KeyError in tests),
    never a blank on a page. Times are written as Almaty reads them."""

    def __init__(self, language: str, words: Mapping[str, Mapping[str, str]]) -> None:
        self.language = language if language in LANGUAGES else "ru"
        self.locale = LOCALES[self.language]
        self._words = words

    def __call__(self, key: str, **values: Any) -> str:
        text = self._words[key][self.language]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._words

    def when(self, at: datetime | str | None) -> str:
        """An instant as Almaty reads it: ``2 December 2026, 14:05``."""
        if at is None or at == "":
            return "–"
        return format_datetime(_instant(at), "d MMMM y, HH:mm", tzinfo=ALMATY, locale=self.locale)

    def day(self, at: datetime | str) -> str:
        """The Almaty day a deadline falls on, in words: ``17 December, Thursday``. A due instant
        at midnight is the end of the day before (the last day counts whole)."""
        local = _instant(at).astimezone(ALMATY)
        if (local.hour, local.minute, local.second) == (0, 0, 0):
            local -= timedelta(days=1)
        return format_date(local.date(), "d MMMM, EEEE", locale=self.locale)


__all__ = ["ALMATY", "LANGUAGES", "LANGUAGE_NAMES", "LOCALES", "Texts", "catalogue", "choose_language"]
