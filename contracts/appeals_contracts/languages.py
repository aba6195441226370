"""The platform's languages and its city's time: reference data every part shares (services'
domains, the people's pages, notification's messages), defined once here."""

from __future__ import annotations

from zoneinfo import ZoneInfo

#: Kazakh, Russian, English: every page and message is written in each.
LANGUAGES = ("kk", "ru", "en")
#: Every time a person reads, and every day a deadline counts, is Almaty's.
ALMATY = ZoneInfo("Asia/Almaty")


def choose_language(*wishes: str | None, default: str = "ru") -> str:
    """The first supported language among ``wishes`` (a stored preference, an appeal's language,
    a form's choice, an ``Accept-Language`` header in order of preference), else ``default``."""
    for wish in wishes:
        if not wish:
            continue
        for part in wish.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return default if default in LANGUAGES else "ru"
