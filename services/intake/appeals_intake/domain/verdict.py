"""The citizen's verdict on the accepted answer: resolved or not, and a rating of 1 to 5.

One verdict per accepted answer, within a window after the acceptance; "not resolved"
reopens the appeal (routing does that). After a reopening and a new accepted answer the
citizen may judge that one too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from appeals_intake.domain.status import AppealStatus


@dataclass(frozen=True)
class Judged:
    """The answer a verdict is on."""

    answer_id: UUID
    executor_code: str
    accepted_at: datetime


def judged_answer(status: AppealStatus, *, now: datetime, window: timedelta) -> Judged | str:
    """The accepted answer the citizen may judge now, or why they may not."""
    accepted = [e for e in status.timeline if e.event_type == "inspection.answer_accepted" and e.details.get("answer_id")]
    if not accepted or status.status not in ("answered", "closed"):
        return "the appeal has no accepted answer to judge"
    last = accepted[-1]
    answer_id = UUID(str(last.details["answer_id"]))
    if any(e.event_type == "appeal.citizen_verdict" and e.details.get("answer_id") == str(answer_id)
           for e in status.timeline):
        return "a verdict on this answer was already given"
    if now - last.occurred_at > window:
        return f"verdicts are taken within {window.days} days of the answer"
    return Judged(answer_id, str(last.details.get("executor_code", "")), last.occurred_at)


@dataclass(frozen=True)
class VerdictGiven:
    """A verdict as a channel adapter hands it over (the token proves the citizen's right)."""

    channel: str
    channel_message_id: str
    registration_number: str
    status_token: str = field(repr=False)
    resolved: bool = False
    rating: int | None = None
    comment: str | None = field(default=None, repr=False)
