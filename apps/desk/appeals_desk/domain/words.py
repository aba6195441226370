"""The desk's words (``texts.yaml``) in one language. Pure."""

from __future__ import annotations

from appeals_runtime.i18n import Texts, catalogue


def texts(language: str) -> Texts:
    return Texts(language, catalogue("appeals_desk.domain"))
