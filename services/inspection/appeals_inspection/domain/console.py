"""The console's words and how it writes times: pure functions over the text catalogue
(``console_texts.yaml``) and Babel's locale data."""

from __future__ import annotations

import functools
from datetime import datetime
from importlib import resources

import yaml
from babel.dates import format_datetime

from appeals_inspection.domain.report import ALMATY

LANGUAGES = ("kk", "ru", "en")
#: Babel's locale per language: the date format a reader of that language expects.
LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_GB"}
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("appeals_inspection.domain").joinpath("console_texts.yaml").read_text("utf-8")
    return yaml.safe_load(text)


class Texts:
    """The catalogue in one language; an unknown key is a programming error (a KeyError in
    tests), never a blank on a page."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "ru"

    def __call__(self, key: str) -> str:
        return catalogue()[key][self.language]

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


def choose_language(*wishes: str | None, default: str = "ru") -> str:
    """The first supported language among ``wishes`` (a stored preference, a form's choice, an
    ``Accept-Language`` header in order of preference), else ``default``."""
    for wish in wishes:
        if not wish:
            continue
        for part in wish.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return default if default in LANGUAGES else "ru"
