"""The console's words and how it writes times: pure functions over the text catalogue
(``console_texts.yaml``) and Babel's locale data."""

from __future__ import annotations

import functools
from datetime import datetime
from importlib import resources

import yaml
from babel.dates import format_datetime

from appeals_runtime.i18n import ALMATY, LANGUAGE_NAMES, LANGUAGES, LOCALES, choose_language

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "LOCALES", "Texts", "catalogue", "choose_language"]


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("appeals_inspection.domain").joinpath("console_texts.yaml").read_text("utf-8")
    words: dict[str, dict[str, str]] = yaml.safe_load(text)
    return words


class Texts:
    """The catalogue in one language; an unknown key is a programming error (a KeyError in
    tests), never a blank on a page."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "ru"

    def __call__(self, key: str, **values: object) -> str:
        text = catalogue()[key][self.language]
        return text.format(**values) if values else text

    def when(self, at: datetime | str | None) -> str:
        """An instant as Almaty reads it, in this language's date format: ``2 Oct 2026, 12:00``."""
        if at is None or at == "":
            return "–"
        instant = datetime.fromisoformat(at) if isinstance(at, str) else at
        return format_datetime(instant, "d MMM y, HH:mm", tzinfo=ALMATY, locale=LOCALES[self.language])

    def hours(self, hours: float | None) -> str:
        """An age: hours below two days, days above."""
        if hours is None:
            return "–"
        if hours < 48:
            return f"{hours:.0f} {self('hours_short')}"
        return f"{hours / 24:.1f} {self('days_short')}"
