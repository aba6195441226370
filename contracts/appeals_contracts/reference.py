"""Reference data shipped with the contracts: appeal kinds, channels, categories, districts,
the executor directory and the inspectors' reasons for returning an answer.

Each file carries a ``version``; codes are stable identifiers, names are given in kk, ru
and en. Services read these through :func:`load_reference`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from appeals_contracts.languages import LANGUAGES


@dataclass(frozen=True)
class Entry:
    """One coded item with its names."""

    code: str
    names: dict[str, str]
    attributes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    """A versioned list of coded items."""

    name: str
    version: int
    entries: dict[str, Entry]

    def __contains__(self, code: object) -> bool:
        return code in self.entries

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self.entries)


@dataclass(frozen=True)
class Reference:
    """All reference tables."""

    appeal_kinds: Table
    channels: Table
    categories: Table
    districts: Table
    executors: Table
    return_reasons: Table
    social_networks: frozenset[str]


class ReferenceDataError(ValueError):
    """A reference file is malformed (missing names, duplicate codes, no version)."""


def _table(name: str) -> tuple[Table, dict]:
    raw = yaml.safe_load(resources.files("appeals_contracts.data").joinpath(f"{name}.yaml").read_text("utf-8"))
    if not isinstance(raw.get("version"), int):
        raise ReferenceDataError(f"{name}.yaml has no integer version")
    entries: dict[str, Entry] = {}
    for item in raw["items"]:
        code = item["code"]
        if code in entries:
            raise ReferenceDataError(f"{name}.yaml repeats code {code!r}")
        names = item.get("names", {})
        if set(names) != set(LANGUAGES):
            raise ReferenceDataError(f"{name}.yaml {code!r} needs names in {', '.join(LANGUAGES)}")
        attrs = {k: v for k, v in item.items() if k not in ("code", "names")}
        entries[code] = Entry(code=code, names=dict(names), attributes=attrs)
    return Table(name=name, version=raw["version"], entries=entries), raw


@cache
def load_reference() -> Reference:
    """Load and check every reference table (cached)."""
    channels, raw_channels = _table("channels")
    return Reference(
        appeal_kinds=_table("appeal_kinds")[0],
        channels=channels,
        categories=_table("categories")[0],
        districts=_table("districts")[0],
        executors=_table("executors")[0],
        return_reasons=_table("return_reasons")[0],
        social_networks=frozenset(raw_channels.get("social_networks", ())),
    )
