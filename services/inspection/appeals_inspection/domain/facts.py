"""What inspection keeps of an appeal: the facts its events bring, and the state its rules read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from appeals_contracts.events import AttachmentRef
from appeals_inspection.domain.merges import Side


@dataclass(frozen=True)
class Registration:
    """The appeal as the answer's page shows it: what it says, where, how it came; never who the
    citizen is (the contact stays with intake and notification)."""

    registration_number: str
    channel: str
    kind: str
    category: str
    district: str | None
    registered_at: datetime
    text: str
    language: str
    address: str | None = None
    lat: float | None = None
    long: float | None = None
    #: The category's own fields, as the citizen gave them.
    attributes: Mapping[str, str | list[str]] | None = None
    attachments: tuple[AttachmentRef, ...] = ()
    #: An operator who answered at once (a consultation), and the prepared answer given.
    consulted_by: str | None = None
    consulted_by_name: str | None = None
    prepared_answer: str | None = None


@dataclass
class AppealFactsChange:
    """What a run of fact events sets on one appeal. ``None``: left as it is. A registration sets
    all of its fields at once."""

    appeal_id: UUID
    registration: Registration | None = None
    executor_code: str | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class AppealState:
    """An appeal as the rules read it (a row may exist before its registration arrives: then it
    has no number and no category yet)."""

    appeal_id: UUID
    status: str
    registration_number: str | None = None
    executor_code: str | None = None
    category: str | None = None
    accepted_at: datetime | None = None
    merged_into: UUID | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> AppealState:
        """From a row (a mapping) that has at least ``appeal_id`` and ``status``."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})

    @property
    def side(self) -> Side:
        """What the merge rules read of it."""
        return Side(self.status, self.executor_code, self.category)
