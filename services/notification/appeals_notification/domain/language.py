"""Which language a citizen is written to."""

from __future__ import annotations

LANGUAGES = ("kk", "ru", "en")


def choose_language(preferred: str | None, appeal_language: str | None, default: str) -> str:
    """The citizen's preferred language, else the appeal's, else the configured default."""
    for candidate in (preferred, appeal_language, default):
        if candidate in LANGUAGES:
            return candidate
    raise ValueError(f"default language {default!r} is not one of {', '.join(LANGUAGES)}")
