"""The review rules: which answers may still be decided, and what a verdict needs."""

from __future__ import annotations

from dataclasses import dataclass

WAITING = "waiting"


@dataclass(frozen=True)
class Verdict:
    accept: bool
    inspector_id: str
    reason_code: str | None = None
    comment: str = ""


class VerdictRefused(Exception):
    """The verdict cannot be applied; ``conflict`` when the answer is no longer waiting."""

    def __init__(self, reason: str, *, conflict: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.conflict = conflict


def check_verdict(answer_status: str | None, verdict: Verdict, return_reasons: frozenset[str]) -> None:
    """Raise :class:`VerdictRefused` unless ``verdict`` may be applied to an answer in ``answer_status``."""
    if answer_status is None:
        raise VerdictRefused("no such answer", conflict=False)
    if answer_status == "superseded":
        raise VerdictRefused("the answer was superseded by a newer answer of the executor", conflict=True)
    if answer_status != WAITING:
        raise VerdictRefused(f"the answer was already {answer_status}", conflict=True)
    if not verdict.accept and verdict.reason_code not in return_reasons:
        raise VerdictRefused(f"reason_code must be one of {', '.join(sorted(return_reasons))}", conflict=False)
