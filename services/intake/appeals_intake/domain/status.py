"""The citizen-facing status of an appeal, folded from its timeline.

Events reach intake from several topics, so they may arrive out of order; the status is
recomputed from the whole timeline, ordered by when each event happened, and the final
stages are sticky (a late "assigned" never reopens a closed appeal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Event type → the status it moves the appeal to (events absent here only add detail).
STATUS_OF: dict[str, str] = {
    "appeal.registered": "registered",
    "appeal.assigned": "assigned",
    "appeal.not_routed": "not_routed",
    "appeal.answered": "answer_under_review",
    "inspection.answer_returned": "in_rework",
    "inspection.answer_accepted": "answered",
    "deadline.closed": "closed",
    "appeal.reopened": "reopened",
    "inspection.appeal_merged": "merged",
    "inspection.answer_shared": "answered",
    "appeal.consultation_answered": "closed",  # an operator answered at once: nothing more to do
}
_RANK_FLOOR = {"answered": 1, "merged": 1, "closed": 2}


@dataclass(frozen=True)
class TimelineEntry:
    event_id: str
    event_type: str
    occurred_at: datetime
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AppealStatus:
    status: str
    due_at: datetime | None
    overdue: bool
    executor_code: str | None
    answer: str | None
    on_time: bool | None
    timeline: list[TimelineEntry]


#: Timeline entries only staff see. A re-appeal link on a new appeal says that the person whose
#: IIN or phone the submission carried appealed before, in which category and under which
#: number: whoever submits with somebody else's IIN must not learn that.
STAFF_ONLY = frozenset({"appeal.re_appeal_linked"})


def for_citizen(entries: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    """The timeline as the appeal's citizen sees it: without :data:`STAFF_ONLY` entries."""
    return [e for e in entries if e.event_type not in STAFF_ONLY]


def summarize(entries: Sequence[TimelineEntry]) -> AppealStatus:
    """Fold the timeline into the current status."""
    ordered = sorted(entries, key=lambda e: (e.occurred_at, e.event_id))
    status, floor = "registered", 0
    due_at = executor = answer = None
    breached, on_time = False, None
    for e in ordered:
        target = STATUS_OF.get(e.event_type)
        if e.event_type == "appeal.reopened":  # the citizen said "not resolved": open again
            status, floor, answer, on_time, breached = STATUS_OF[e.event_type], 0, None, None, False
        elif e.event_type == "inspection.appeal_unmerged":  # the merge undone: open again
            status, floor = ("assigned" if executor else "registered"), 0
        elif target is not None and _RANK_FLOOR.get(target, 0) >= floor:
            status, floor = target, _RANK_FLOOR.get(target, 0)
        d = e.details
        if e.event_type in ("deadline.scheduled", "deadline.extended") and d.get("due_at"):
            due_at = datetime.fromisoformat(d["due_at"])
        elif e.event_type == "deadline.breached":
            breached = True
        elif e.event_type in ("appeal.assigned", "appeal.reopened"):
            executor = d.get("executor_code")
        elif e.event_type in ("inspection.answer_accepted", "inspection.answer_shared",
                              "appeal.consultation_answered"):
            answer = d.get("answer")
        elif e.event_type == "deadline.closed":
            on_time = d.get("on_time")
    return AppealStatus(status, due_at, breached and status != "closed", executor, answer, on_time, list(ordered))
