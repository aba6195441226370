"""The portal's words: the text catalogue (``texts.yaml``) in one language, and how it writes
times and dates for a citizen (Almaty's time, Babel's locale data). Pure."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import yaml
from babel.dates import format_date, format_datetime

from appeals_runtime.i18n import ALMATY, LANGUAGES, LOCALES


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("appeals_portal.domain").joinpath("texts.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _instant(at: datetime | str) -> datetime:
    return datetime.fromisoformat(at) if isinstance(at, str) else at


class Texts:
    """The catalogue in one language; an unknown key is a programming error (a KeyError in
    tests), never a blank on a page."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "ru"
        self.locale = LOCALES[self.language]

    def __call__(self, key: str, **values: Any) -> str:
        text = catalogue()[key][self.language]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in catalogue()

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
