"""The platform's languages and its city's time, for every page people read: the staff console,
the citizen's portal and the applications that follow. Pure: constants and one function."""

from __future__ import annotations

from zoneinfo import ZoneInfo

#: Kazakh, Russian, English: every page and message is written in each.
LANGUAGES = ("kk", "ru", "en")
#: Babel's locale per language: the date format a reader of that language expects.
LOCALES = {"kk": "kk_KZ", "ru": "ru_RU", "en": "en_GB"}
#: Each language's name in itself, for the switch on every page.
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
#: Every time a person reads is Almaty's.
ALMATY = ZoneInfo("Asia/Almaty")


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
