"""The review rules: which answers may still be decided, and what a verdict needs."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from appeals_contracts.events import AttachmentRef

WAITING = "waiting"


@dataclass(frozen=True)
class Verdict:
    accept: bool
    inspector_id: str
    reason_code: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class Answer:
    """What an executor answered: whose answer it is, what it says, and the platform's time of it
    (what timeliness is judged by)."""

    answer_id: UUID
    appeal_id: UUID
    executor_code: str
    employee_id: str
    text: str
    language: str
    submitted_at: datetime


@dataclass(frozen=True)
class ReviewedAnswer(Answer):
    """An answer as the review reads it: with where it stands."""

    status: str

    @classmethod
    def of(cls, row: Any) -> ReviewedAnswer:
        """From a row (a mapping) that has at least these fields."""
        return cls(**{f.name: row[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class ArrivingAnswer(Answer):
    """An executor's answer as it reaches the review queue, with the portal's own time of it
    (kept only to show), the employee's name and the photos of the work."""

    portal_submitted_at: datetime | None = None
    employee_name: str | None = None
    attachments: tuple[AttachmentRef, ...] = ()


class VerdictRefused(Exception):
    """The verdict cannot be applied; ``conflict`` when the answer is no longer waiting."""

    def __init__(self, reason: str, *, conflict: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.conflict = conflict


def check_verdict(answer_status: str | None, verdict: Verdict, return_reasons: frozenset[str], *,
                  appeal_status: str | None = None) -> None:
    """Raise :class:`VerdictRefused` unless ``verdict`` may be applied to an answer in
    ``answer_status`` of an appeal in ``appeal_status``: a closed appeal's accepted answer stands
    (an answer of it still waiting had crossed that acceptance on its way)."""
    if answer_status is None:
        raise VerdictRefused("no such answer", conflict=False)
    if appeal_status == "closed" and answer_status == WAITING:
        raise VerdictRefused("the appeal was closed by another accepted answer", conflict=True)
    if answer_status == "superseded":
        raise VerdictRefused("the answer was superseded by a newer answer of the executor", conflict=True)
    if answer_status != WAITING:
        raise VerdictRefused(f"the answer was already {answer_status}", conflict=True)
    if not verdict.accept and verdict.reason_code not in return_reasons:
        raise VerdictRefused(f"reason_code must be one of {', '.join(sorted(return_reasons))}", conflict=False)


def moot_on_arrival(appeal_status: str | None, accepted_at: datetime | None, answered_at: datetime) -> bool:
    """An answer given before the acceptance that closed its appeal (the executor answered again
    while the earlier answer was being accepted, and the two crossed on their way) has nothing
    left to review: the accepted answer stands, and this one is superseded on arrival. An answer
    after the acceptance is a new round (the appeal reopened) and is reviewed."""
    return appeal_status == "closed" and accepted_at is not None and answered_at <= accepted_at
