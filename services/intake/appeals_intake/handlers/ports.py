"""What intake's use cases need of the world (the unit of work, the object store) and what they answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from appeals_intake.domain.duplicates import Candidate, DuplicateLink, DuplicateProbe
from appeals_intake.domain.reappeals import Earlier, Marks, ReAppeal
from appeals_intake.domain.verdict import Judged
from appeals_intake.domain.attachments import Stored
from appeals_intake.domain.model import Appeal, Reason, SubmitAppeal
from appeals_intake.domain.status import TimelineEntry


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes | None: ...
    async def delete(self, key: str) -> None:
        """Remove the object (nothing when it is not there)."""
        ...


class AppealRepository(Protocol):
    async def holders(self, appeal_ids: Sequence[UUID]) -> dict[UUID, set[str]]:
        """The executors each appeal's timeline shows it assigned (or reopened) to."""
        ...
    async def find_by_channel_keys(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Appeal]: ...
    async def allocate_numbers(self, year: int, count: int) -> int: ...
    async def add(self, appeals: Sequence[Appeal]) -> None: ...
    async def get_by_number(self, registration_number: str) -> Appeal | None: ...
    async def by_author(self, subject: str, limit: int) -> list[Appeal]: ...
    async def add_timeline(self, rows: Sequence[tuple[UUID, TimelineEntry]]) -> None: ...
    async def add_attachment(self, stored: Stored, storage_key: str, at: datetime) -> None: ...
    async def earlier_marks(self, wanted: Sequence[Marks], since: datetime) -> list[Earlier]: ...
    async def add_marks(self, rows: Sequence[tuple[UUID, Marks, datetime]]) -> None: ...
    async def add_re_appeals(self, links: Sequence[ReAppeal], at: datetime) -> None: ...
    async def duplicate_candidates(self, probes: Sequence[DuplicateProbe], since: datetime) -> list[Candidate]: ...
    async def add_duplicate_links(self, links: Sequence[DuplicateLink], at: datetime) -> None: ...
    async def add_verdict(self, appeal_id: UUID, answer_id: UUID, resolved: bool, rating: int | None, via: str,
                          at: datetime) -> str | None: ...
    async def attachments(self, ids: Sequence[UUID]) -> dict[UUID, Stored]: ...
    async def uploads_since(self, uploaded_by: str, since: datetime) -> int:
        """Files ``uploaded_by`` uploaded since ``since``."""
        ...
    async def expire_orphans(self, uploaded_before: datetime, limit: int) -> list[str]:
        """Mark up to ``limit`` files no appeal named, uploaded before ``uploaded_before``, as
        expiring (no submission can name them any more); their storage keys, with any marked
        before whose bytes are still to be removed."""
        ...
    async def forget_attachments(self, storage_keys: Sequence[str]) -> None:
        """Remove expiring files' rows once their bytes are gone."""
        ...
    async def link_attachments(self, links: Sequence[tuple[UUID, UUID]]) -> None: ...
    async def link_uploads(self, links: Sequence[tuple[UUID, UUID, str]]) -> None: ...
    async def attachment_key(self, attachment_id: UUID) -> tuple[Stored, str] | None: ...
    async def timeline(self, appeal_id: UUID) -> list[TimelineEntry]: ...
    async def timelines(self, appeal_ids: Sequence[UUID]) -> dict[UUID, list[TimelineEntry]]: ...
    async def by_numbers(self, numbers: Sequence[str]) -> list[Appeal]: ...
    async def prepared_answers(self) -> list[dict[str, Any]]:
        """The prepared answers staff changed (code, topic, title, text, active)."""
        ...
    async def put_prepared_answer(self, answer: dict[str, Any], by: str, at: datetime) -> None: ...
    async def by_marks(self, keys: Sequence[tuple[str, str]], limit: int) -> list[Appeal]:
        """The appeals kept under any of the keyed hashes, newest first."""
        ...
    async def registered_between(self, start: datetime, end: datetime, categories: Sequence[str], *,
                                 before: tuple[datetime, str] | None, limit: int) -> list[Appeal]: ...


class UnitOfWork(Protocol):
    @property
    def appeals(self) -> AppealRepository: ...  # read-only, so an implementation may narrow it

    def registered(self, appeal: Appeal) -> UUID:
        """Announce a registration (through the outbox); returns the event id."""
        ...

    def rejected(self, cmd: SubmitAppeal, reasons: Sequence[Reason], at: datetime, *, announce: bool = True) -> None:
        """Count a refused submission and, with ``announce``, announce it (through the outbox)."""
        ...

    def duplicate(self, appeal: Appeal, link: DuplicateLink, at: datetime) -> UUID:
        """Announce that ``appeal`` may duplicate an open one; returns the event id."""
        ...

    def re_appeal(self, appeal: Appeal, link: ReAppeal, at: datetime) -> UUID:
        """Announce that ``appeal`` is a re-appeal of an earlier one (no personal data); returns the event id."""
        ...

    def verdict(self, appeal: Appeal, judged: Judged, resolved: bool, rating: int | None, at: datetime,
                comment: str | None = None) -> UUID:
        """Announce the citizen's verdict (appeal.citizen_verdict); returns the event id."""
        ...

    def verdict_refused(self, channel: str, channel_message_id: str, reason: str, at: datetime) -> None:
        """Tell the adapter why a verdict given in its channel was refused."""
        ...


@dataclass(frozen=True)
class Registered:
    appeal: Appeal
    repeated: bool  # True when the submission repeated one registered before


@dataclass(frozen=True)
class Rejected:
    reasons: list[Reason]


@dataclass(frozen=True)
class Conflict:
    """Another sender's idempotency key: nothing of the appeal registered under it is told."""

    reason: str = "channel_message_id is taken; send a new one"


Outcome = Registered | Rejected | Conflict


@dataclass(frozen=True)
class Refused:
    """A request refused (an upload, a prepared answer): the HTTP status that says why, and the reason."""

    status: int
    reason: str
