"""The decisions people make: inspectors' verdicts on answers, and merging a duplicate into its
original (inspectors, or the executor that holds both)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

# pydantic (the API's schema) reads TypedDicts from typing_extensions before Python 3.12.
from typing_extensions import TypedDict

from appeals_inspection.domain.facts import AppealState
from appeals_inspection.domain.merges import Side, merge_refusal, unmerge_refusal
from appeals_inspection.domain.review import Verdict, check_verdict
from appeals_inspection.handlers.ports import Decider, MergeRefused, UnitOfWork
from appeals_runtime.audit import AuditEntry


class Merged(TypedDict):
    appeal_id: str
    into_appeal_id: str
    status: str  # merged


class Unmerged(TypedDict):
    appeal_id: str
    status: str  # open


class VerdictGiven(TypedDict):
    answer_id: str
    appeal_id: str
    status: str  # accepted or returned
    decided_at: str


def _side(appeal: AppealState | None) -> Side | None:
    return None if appeal is None else appeal.side


async def merge(uow: UnitOfWork, duplicate_id: UUID, into_id: UUID, *, by: Decider, now: datetime) -> Merged:
    """Merge a duplicate into its original: both open, the same category, and an executor only
    for appeals it holds that intake linked as duplicates (a merge stops the duplicate's clock,
    so an executor may not stop an overdue appeal's clock by merging it into any other); the
    duplicate closes as merged (never late) and its citizen later receives the original's answer."""
    found = await uow.model.appeals_for_update(list(dict.fromkeys([duplicate_id, into_id])))
    dup, into = found.get(duplicate_id), found.get(into_id)
    executor = by.executor_code if by.role == "executor" else None
    linked = executor is None or await uow.model.linked_as_duplicate(duplicate_id, into_id)
    refusal = merge_refusal(_side(dup), _side(into), into_itself=duplicate_id == into_id, executor=executor,
                            linked=linked)
    if refusal is not None:
        raise MergeRefused(refusal)
    assert into is not None and into.registration_number is not None  # (the rules refuse an unknown original)
    await uow.model.merge(duplicate_id, into_id, now)
    uow.merged(duplicate_id, into_id, into.registration_number, by, now)
    uow.audit(AuditEntry(actor=by.subject, role=by.role, action="merge", appeal_id=duplicate_id, outcome="merged",
                         at=now, details={"into_appeal_id": str(into_id)}))
    return Merged(appeal_id=str(duplicate_id), into_appeal_id=str(into_id), status="merged")


async def unmerge(uow: UnitOfWork, duplicate_id: UUID, *, by: Decider, now: datetime) -> Unmerged:
    """Undo a merge before the original is answered; the appeal is open again."""
    found = await uow.model.appeals_for_update([duplicate_id])
    dup = found.get(duplicate_id)
    from_id = dup.merged_into if dup is not None else None
    original = (await uow.model.appeals_for_update([from_id])).get(from_id) if from_id is not None else None
    refusal = unmerge_refusal(_side(dup), _side(original),
                              executor=by.executor_code if by.role == "executor" else None)
    if refusal is not None:
        raise MergeRefused(refusal)
    assert from_id is not None  # (the rules refuse an appeal that is not merged)
    await uow.model.unmerge(duplicate_id)
    uow.unmerged(duplicate_id, from_id, by, now)
    uow.audit(AuditEntry(actor=by.subject, role=by.role, action="unmerge", appeal_id=duplicate_id,
                         outcome="open again", at=now, details={"from_appeal_id": str(from_id)}))
    return Unmerged(appeal_id=str(duplicate_id), status="open")


async def decide(uow: UnitOfWork, answer_id: UUID, verdict: Verdict, *, return_reasons: frozenset[str],
                 now: datetime) -> VerdictGiven:
    """Accept or return a waiting answer; raises ``VerdictRefused`` (409 when it is not waiting)."""
    answer = await uow.model.answer_for_update(answer_id)
    appeal = await uow.model.lock_appeal(answer.appeal_id) if answer else None
    check_verdict(answer.status if answer else None, verdict, return_reasons,
                  appeal_status=appeal.status if appeal else None)
    assert answer is not None and appeal is not None  # (the rules refuse an unknown answer)
    if verdict.accept:
        await uow.model.decide(answer_id, "accepted", verdict.inspector_id, None, "", now)
        await uow.model.close(answer, now)
        for duplicate_id in await uow.model.merged_into(answer.appeal_id):  # their citizens get it too
            assert appeal.registration_number is not None  # (only a registered appeal is merged into)
            uow.shared(duplicate_id, answer, appeal.registration_number, now)
    else:
        await uow.model.decide(answer_id, "returned", verdict.inspector_id, verdict.reason_code, verdict.comment, now)
    uow.decided(answer, verdict, now)
    uow.audit(AuditEntry(
        actor=verdict.inspector_id, role="inspector", action="accept" if verdict.accept else "return",
        appeal_id=answer.appeal_id, outcome="accepted" if verdict.accept else "returned", at=now,
        details={"answer_id": str(answer_id), "executor_code": answer.executor_code,
                 "employee_id": answer.employee_id, "reason_code": verdict.reason_code}))
    return VerdictGiven(answer_id=str(answer_id), appeal_id=str(answer.appeal_id),
                        status="accepted" if verdict.accept else "returned", decided_at=now.isoformat())
