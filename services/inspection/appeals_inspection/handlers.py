"""Inspection's use cases as plain async functions over a unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from appeals_contracts.base import Event
from appeals_contracts.envelope import Envelope
from appeals_contracts.events import (
    AppealAnswered,
    AppealAssigned,
    AppealNotRouted,
    AppealRegistered,
    DeadlineBreached,
    DeadlineExtended,
    DeadlineScheduled,
)
from appeals_inspection.domain.review import Verdict, check_verdict
from appeals_runtime.audit import AuditEntry


class ReadModel(Protocol):
    async def lock_appeal(self, appeal_id: UUID) -> dict[str, Any]: ...
    async def register(self, appeal_id: UUID, **facts: Any) -> None: ...
    async def assign(self, event_id: UUID, appeal_id: UUID, executor_code: str, at: datetime) -> None: ...
    async def move_due(self, appeal_id: UUID, due_at: datetime) -> None: ...
    async def not_routed(self, appeal_id: UUID) -> None: ...
    async def add_answer(self, answer: dict[str, Any]) -> bool: ...
    async def open_escalation(self, appeal_id: UUID, due_at: datetime, at: datetime) -> None: ...
    async def answer_for_update(self, answer_id: UUID) -> dict[str, Any] | None: ...
    async def decide(self, answer_id: UUID, status: str, inspector_id: str, reason_code: str | None, comment: str,
                     at: datetime) -> None: ...
    async def close(self, answer: dict[str, Any], at: datetime) -> None: ...


class UnitOfWork(Protocol):
    model: ReadModel

    def decided(self, answer: dict[str, Any], verdict: Verdict, at: datetime) -> None:
        """Announce the verdict (answer accepted or returned)."""
        ...

    def audit(self, entry: AuditEntry) -> None:
        """Record the decision in the audit trail, in this transaction."""
        ...


async def on_event(uow: UnitOfWork, envelope: Envelope, event: Event) -> None:
    """Keep the read model: facts, assignments, answers into the queue, escalations on breach."""
    appeal_id: UUID = event.appeal_id  # type: ignore[attr-defined]
    # Every branch locks the appeal's row first (registering, assigning and moving the due time
    # create it when unknown and lock it in the same statement): its events apply one at a time.
    if not isinstance(event, (AppealRegistered, AppealAssigned, DeadlineScheduled, DeadlineExtended)):
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


async def decide(uow: UnitOfWork, answer_id: UUID, verdict: Verdict, *, return_reasons: frozenset[str],
                 now: datetime) -> dict[str, str]:
    """Accept or return a waiting answer; raises ``VerdictRefused`` (409 when it is not waiting)."""
    answer = await uow.model.answer_for_update(answer_id)
    check_verdict(answer["status"] if answer else None, verdict, return_reasons)
    assert answer is not None
    await uow.model.lock_appeal(answer["appeal_id"])
    if verdict.accept:
        await uow.model.decide(answer_id, "accepted", verdict.inspector_id, None, "", now)
        await uow.model.close(answer, now)
    else:
        await uow.model.decide(answer_id, "returned", verdict.inspector_id, verdict.reason_code, verdict.comment, now)
    uow.decided(answer, verdict, now)
    uow.audit(AuditEntry(
        actor=verdict.inspector_id, role="inspector", action="accept" if verdict.accept else "return",
        appeal_id=answer["appeal_id"], outcome="accepted" if verdict.accept else "returned", at=now,
        details={"answer_id": str(answer_id), "executor_code": answer["executor_code"],
                 "employee_id": answer["employee_id"], "reason_code": verdict.reason_code}))
    return {"answer_id": str(answer_id), "appeal_id": str(answer["appeal_id"]),
            "status": "accepted" if verdict.accept else "returned", "decided_at": now.isoformat()}
