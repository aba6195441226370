"""Inspection's use cases as plain async functions over a unit of work."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from appeals_contracts.base import Event
from appeals_contracts.envelope import Envelope
from appeals_contracts.events import (
    AnswerAccepted,
    AnswerReturned,
    AppealAnswered,
    AppealAssigned,
    AppealNotRouted,
    AppealRegistered,
    DeadlineBreached,
    DeadlineExtended,
    DeadlineScheduled,
)
from appeals_inspection.domain.review import Verdict, check_verdict

SOURCE = "/services/inspection"


async def on_event(uow, envelope: Envelope, event: Event) -> None:
    """Keep the read model: facts, assignments, answers into the queue, escalations on breach."""
    appeal_id: UUID = event.appeal_id  # type: ignore[attr-defined]
    await uow.model.lock_appeal(appeal_id)
    if isinstance(event, AppealRegistered):
        await uow.model.register(appeal_id, registration_number=event.registration_number, channel=event.channel,
                                 kind=event.kind, category=event.category, district=event.district,
                                 registered_at=event.registered_at)
    elif isinstance(event, AppealAssigned):
        await uow.model.assign(envelope.id, appeal_id, event.executor_code, event.assigned_at)
    elif isinstance(event, AppealNotRouted):
        await uow.model.not_routed(appeal_id)
    elif isinstance(event, (DeadlineScheduled, DeadlineExtended)):
        await uow.model.move_due(appeal_id, event.due_at)
    elif isinstance(event, AppealAnswered):
        await uow.model.add_answer({"answer_id": event.answer_id, "appeal_id": appeal_id,
                                    "executor_code": event.executor_code, "employee_id": event.employee_id,
                                    "text": event.text, "language": event.language,
                                    "submitted_at": event.submitted_at})
    elif isinstance(event, DeadlineBreached):
        await uow.model.move_due(appeal_id, event.due_at)
        await uow.model.open_escalation(appeal_id, event.due_at, event.breached_at)


async def decide(uow, answer_id: UUID, verdict: Verdict, *, return_reasons: frozenset[str], now: datetime) -> dict:
    """Accept or return a waiting answer; raises ``VerdictRefused`` (409 when it is not waiting)."""
    answer = await uow.model.answer_for_update(answer_id)
    check_verdict(answer["status"] if answer else None, verdict, return_reasons)
    assert answer is not None
    await uow.model.lock_appeal(answer["appeal_id"])
    common = dict(appeal_id=answer["appeal_id"], answer_id=answer_id, executor_code=answer["executor_code"],
                  employee_id=answer["employee_id"], inspector_id=verdict.inspector_id, decided_at=now)
    if verdict.accept:
        await uow.model.decide(answer_id, "accepted", verdict.inspector_id, None, "", now)
        await uow.model.close(answer, now)
        event: Event = AnswerAccepted(**common, answer_text=answer["text"], answer_language=answer["language"],
                                      answer_submitted_at=answer["submitted_at"])
    else:
        await uow.model.decide(answer_id, "returned", verdict.inspector_id, verdict.reason_code, verdict.comment, now)
        event = AnswerReturned(**common, reason_code=verdict.reason_code or "", comment=verdict.comment)
    uow.announce(Envelope.wrap(event, source=SOURCE, subject=str(answer["appeal_id"]), time=now))
    return {"answer_id": str(answer_id), "appeal_id": str(answer["appeal_id"]),
            "status": "accepted" if verdict.accept else "returned", "decided_at": now.isoformat()}
