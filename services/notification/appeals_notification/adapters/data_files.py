"""Reading the recipients file and the reference names notification writes with."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from appeals_contracts.reference import Reference
from appeals_contracts.languages import LANGUAGES
from appeals_notification.domain.messages import Names, Recipients


class RecipientsFileError(ValueError):
    """The recipients file is unreadable or misses an executor; the service does not start."""


def bundled_recipients() -> Path:
    return Path(str(resources.files("appeals_notification.data").joinpath("recipients.yaml")))


def read_recipients(path: Path | None, executor_codes: frozenset[str]) -> Recipients:
    path = path or bundled_recipients()
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
        executors = {str(code): str(entry["email"]) for code, entry in (data.get("executors") or {}).items()}
        inspectors = data["inspectors"]
        recipients = Recipients(executors, str(data.get("default_executor_language", "ru")),
                                str(inspectors["group"]), str(inspectors["email"]),
                                str(inspectors.get("language", "ru")))
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise RecipientsFileError(f"{path}: {type(exc).__name__}: {exc}") from exc
    missing = sorted(executor_codes - set(executors))
    if missing:
        raise RecipientsFileError(f"{path}: no address for executors {', '.join(missing)}")
    bad = [lang for lang in (recipients.executor_language, recipients.inspectors_language) if lang not in LANGUAGES]
    if bad:
        raise RecipientsFileError(f"{path}: unknown language {bad[0]!r}")
    return recipients


def names_from(reference: Reference) -> Names:
    def table(t) -> dict[str, dict[str, str]]:
        return {code: entry.names for code, entry in t.entries.items()}
    return Names(table(reference.executors), table(reference.categories), table(reference.districts),
                 table(reference.return_reasons))
