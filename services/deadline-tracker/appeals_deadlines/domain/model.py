"""What the deadline tracker keeps: an appeal's deadline and its timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID


@dataclass(frozen=True)
class Deadline:
    appeal_id: UUID
    policy_code: str
    regime: str
    registered_at: datetime
    due_at: datetime
    extended: bool
    status: str
    last_answer_submitted_at: datetime | None
    counted_from: date | None = None  # the receipt day the period counts from (None: rows before it was kept)
    forwarding_due_at: datetime | None = None
    notice_due_at: datetime | None = None
    notice_delivered_at: datetime | None = None
    answer_times: tuple[datetime, ...] = ()  # routing's receipt of each answer heard of

    def has_answer_at(self, answered_at: datetime) -> bool:
        """Whether the tracker heard of an answer received at ``answered_at`` (an acceptance
        accepts one of them; a row kept before the times were kept has only the last one)."""
        return answered_at in self.answer_times or answered_at == self.last_answer_submitted_at


@dataclass(frozen=True)
class Timer:
    appeal_id: UUID
    kind: str
    due_at: datetime
    fire_at: datetime
