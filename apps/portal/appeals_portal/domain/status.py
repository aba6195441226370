"""An appeal's status as a citizen reads it: intake's status view (codes and UTC times) told in
sentences, in the citizen's language and Almaty's time. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appeals_runtime.i18n import Texts  # any language's catalogue: the portal's words or another

#: Names of coded things by table, then code, then language (from the reference data).
Names = Mapping[str, Mapping[str, Mapping[str, str]]]


@dataclass(frozen=True)
class Step:
    at: str
    text: str


@dataclass(frozen=True)
class StatusPage:
    """What the status page shows."""

    number: str
    status: str
    status_text: str
    category: str
    kind: str
    executor: str | None
    due: str | None
    overdue: bool
    steps: list[Step]
    next_step: str
    answer: str | None
    merged_into: str | None
    #: The accepted answer a verdict may still be given on (None: nothing to judge now).
    judgeable_answer: str | None
    verdict: Step | None


def name(names: Names, table: str, code: str | None, language: str) -> str:
    if not code:
        return "–"
    return names.get(table, {}).get(code, {}).get(language, code)


def _sentence(t: Texts, names: Names, entry: Mapping[str, Any]) -> str | None:
    """One timeline entry in words, or None for entries a citizen has no use for."""
    kind, lang = entry.get("event_type"), t.language

    def org(key: str = "executor_code") -> str:
        return name(names, "executors", entry.get(key), lang)

    def due() -> str:
        return t.day(entry["due_at"]) if entry.get("due_at") else "–"

    match kind:
        case "appeal.registered":
            return t("tl_registered", number=entry.get("registration_number", ""))
        case "appeal.assigned" if entry.get("previous_executor_code"):
            return t("tl_reassigned", executor=org(), previous=org("previous_executor_code"))
        case "appeal.assigned":
            return t("tl_assigned", executor=org())
        case "appeal.not_routed":
            return t("tl_not_routed")
        case "deadline.scheduled":
            return t("tl_scheduled", day=due())
        case "deadline.extended":
            reason = entry.get("reason")
            return t("tl_extended_why", day=due(), reason=reason) if reason else t("tl_extended", day=due())
        case "deadline.extension_refused":
            return t("tl_extension_refused", day=due())
        case "deadline.breached":
            return t("tl_breached", day=due())
        case "appeal.answered":
            return t("tl_answered", executor=org())
        case "inspection.answer_returned":
            return t("tl_returned")
        case "inspection.answer_accepted":
            return t("tl_accepted")
        case "inspection.answer_shared":
            return t("tl_shared", number=entry.get("original_registration_number", ""))
        case "appeal.reopened":
            return t("tl_reopened", executor=org())
        case "inspection.appeal_merged":
            return t("tl_merged", number=entry.get("into_registration_number", ""))
        case "inspection.appeal_unmerged":
            return t("tl_unmerged")
        case "deadline.closed":
            return t("tl_closed_on_time") if entry.get("on_time") else t("tl_closed_late")
        case "appeal.citizen_verdict":
            return _verdict_sentence(t, entry)
    return None


def _verdict_sentence(t: Texts, entry: Mapping[str, Any]) -> str:
    said = t("tl_verdict_resolved") if entry.get("resolved") else t("tl_verdict_not_resolved")
    rating = entry.get("rating")
    return f"{said} {t('tl_verdict_rating', rating=rating)}" if rating else said


def _next_step(t: Texts, status: str, executor: str | None, due: str | None) -> str:
    if status in ("assigned", "reopened", "in_rework"):
        return t(f"next_{status}", executor=executor, day=due or "–") if executor else t("next_registered")
    return t(f"next_{status}") if t.has(f"next_{status}") else t("next_registered")


def read(view: Mapping[str, Any], t: Texts, names: Names) -> StatusPage:
    """Intake's status view (``GET /v1/status/{number}``) as the page tells it."""
    lang = t.language
    timeline = list(view.get("timeline") or [])
    steps = [Step(t.when(e.get("at")), text) for e in timeline if (text := _sentence(t, names, e))]
    executor = name(names, "executors", view.get("executor_code"), lang) if view.get("executor_code") else None
    due = t.day(view["due_at"]) if view.get("due_at") else None
    status = str(view.get("status") or "registered")
    # as intake judges it: the last accepted answer of an answered or closed appeal, not yet judged
    accepted = [e for e in timeline if e.get("event_type") == "inspection.answer_accepted" and e.get("answer_id")]
    last_answer = accepted[-1].get("answer_id") if accepted else None
    judged = [e for e in timeline if e.get("event_type") == "appeal.citizen_verdict"]
    verdict = next((e for e in reversed(judged) if e.get("answer_id") == last_answer), None) if last_answer else None
    judgeable = status in ("answered", "closed") and last_answer is not None and verdict is None
    merged = next((e.get("into_registration_number") for e in reversed(timeline)
                   if e.get("event_type") == "inspection.appeal_merged"), None)
    return StatusPage(
        number=str(view.get("registration_number", "")), status=status, status_text=t(f"status_{status}") if t.has(f"status_{status}") else status,
        category=name(names, "categories", view.get("category"), lang),
        kind=name(names, "appeal_kinds", view.get("kind"), lang), executor=executor, due=due,
        overdue=bool(view.get("overdue")), steps=steps,
        next_step=t("next_answered") if judgeable else _next_step(t, status, executor, due),
        answer=view.get("answer"), merged_into=merged if status == "merged" else None,
        judgeable_answer=str(last_answer) if judgeable else None,
        verdict=Step(t.when(verdict.get("at")), _verdict_sentence(t, verdict)) if verdict else None)
