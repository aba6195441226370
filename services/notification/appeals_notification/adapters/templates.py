"""Message templates: versioned Jinja2 files, ``templates/<language>/<template>.txt.j2``.

The first line is the subject, then a blank line, then the body. A citizen's notice has an
SMS form too, ``<template>.sms.j2``: one short text with the status link and no subject, to
fit two SMS parts in every language (the status page tells the rest; a test checks the length). Rendering is strict: a
variable the context lacks is an error (:class:`RenderFailed`), so a message is either
whole or not produced at all. :meth:`Templates.check_complete` runs at start-up, so a
missing template stops the service instead of surprising it at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from appeals_notification.domain.outgoing import Message

TEMPLATES_VERSION = 1


class TemplateMissing(RuntimeError):
    """Some (template, language) pairs have no file."""


class RenderFailed(ValueError):
    """A template could not be rendered with the context given (e.g. a missing variable)."""


class Templates:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or Path(str(resources.files("appeals_notification.templates")))
        # The templates ship with the package and change with a release, so a compiled one is
        # kept: auto_reload would stat its file on every message.
        self._env = jinja2.Environment(loader=jinja2.FileSystemLoader(self.directory),
                                       undefined=jinja2.StrictUndefined, autoescape=False,
                                       keep_trailing_newline=False, auto_reload=False)

    def missing(self, templates: Iterable[str], languages: Iterable[str], form: str = "txt") -> list[str]:
        return sorted(f"{lang}/{name}.{form}.j2" for name in templates for lang in languages
                      if not (self.directory / lang / f"{name}.{form}.j2").is_file())

    def check_complete(self, templates: Iterable[str], languages: Iterable[str]) -> None:
        """Every template in every language, and the SMS form of every citizen's notice."""
        templates, languages = list(templates), list(languages)
        missing = self.missing(templates, languages) + self.missing(
            [t for t in templates if t.startswith("citizen.")], languages, "sms")
        if missing:
            raise TemplateMissing("missing templates: " + ", ".join(missing))

    def render(self, template: str, language: str, context: Mapping[str, Any], *, sms: bool = False) -> Message:
        """The message; with ``sms``, the short SMS form as the body and no subject."""
        try:
            text = self._env.get_template(f"{language}/{template}.{'sms' if sms else 'txt'}.j2").render(**context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateMissing(f"no template {language}/{template}") from exc
        except jinja2.UndefinedError as exc:
            raise RenderFailed(f"{language}/{template}: {exc.message}") from exc
        if sms:
            return Message(template, language, "", " ".join(text.split()))
        subject, _, body = text.partition("\n\n")
        return Message(template, language, subject.strip(), body.strip())
