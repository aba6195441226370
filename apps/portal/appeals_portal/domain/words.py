"""The portal's words: the text catalogue (``texts.yaml``) in one language, and how it writes
times and dates for a citizen (Almaty's time, Babel's locale data). Pure."""

from __future__ import annotations

from appeals_runtime import i18n


def catalogue() -> dict[str, dict[str, str]]:
    return i18n.catalogue("appeals_portal.domain")


class Texts(i18n.Texts):
    """The portal's catalogue in one language (see :class:`appeals_runtime.i18n.Texts`)."""

    def __init__(self, language: str) -> None:
        super().__init__(language, catalogue())
