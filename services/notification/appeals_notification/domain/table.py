"""Who is told what: event type → (audience, template). The docs' table is this one."""

from __future__ import annotations

from dataclasses import dataclass

AUDIENCES = ("citizen", "executor", "inspectors")


@dataclass(frozen=True)
class Notice:
    audience: str
    template: str
    urgent: bool = False  # urgent messages ignore SMS quiet hours


#: What each event causes. The citizen's registration notice waits for the due time, so it
#: is sent on ``deadline.scheduled`` (the registration details arrived earlier).
TABLE: dict[str, tuple[Notice, ...]] = {
    "deadline.scheduled": (Notice("citizen", "citizen.registered"),),
    # only a consultation answered at once whose citizen wants the answer (it has no due time)
    "appeal.registered": (Notice("citizen", "citizen.consultation_answered"),),
    "appeal.assigned": (Notice("citizen", "citizen.assigned"), Notice("executor", "executor.assigned")),
    "deadline.extended": (Notice("citizen", "citizen.extended"),),
    "inspection.answer_accepted": (Notice("citizen", "citizen.answer_accepted"),),
    "deadline.breached": (Notice("citizen", "citizen.breach_apology"),
                          Notice("inspectors", "inspectors.deadline_breached", urgent=True)),
    "deadline.approaching": (Notice("executor", "executor.deadline_approaching", urgent=True),),
    "inspection.answer_returned": (Notice("executor", "executor.answer_returned"),),
    "inspection.appeal_merged": (Notice("citizen", "citizen.merged"),),
    "inspection.answer_shared": (Notice("citizen", "citizen.answer_shared"),),
    "appeal.reopened": (Notice("citizen", "citizen.reopened"), Notice("executor", "executor.reopened"),
                        Notice("inspectors", "inspectors.appeal_reopened")),
}

#: Templates written without a due time: the appeal has none.
WITHOUT_DUE: frozenset[str] = frozenset({"citizen.consultation_answered"})

TEMPLATES: frozenset[str] = frozenset(n.template for notices in TABLE.values() for n in notices)


def notices_for(event_type: str) -> tuple[Notice, ...]:
    return TABLE.get(event_type, ())
