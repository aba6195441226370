"""Inspection's use cases as plain async functions over a unit of work."""

from __future__ import annotations

import json
from collections.abc import Sequence, Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from appeals_contracts.base import Event
from appeals_contracts.envelope import Envelope
from appeals_contracts.events import (
    AppealAnswered,
    AppealAssigned,
    AppealAssigneeChanged,
    AppealNotRouted,
    AppealRegistered,
    AppealReopened,
    CitizenVerdict,
    DeadlineBreached,
    DeadlineExtended,
    DeadlineForwardingBreached,
    DeadlineScheduled,
    DuplicateLinked,
    ReAppealLinked,
)
from appeals_inspection.domain.facts import AppealFactsChange
from appeals_inspection.domain.merges import MergeRefusal, Side, merge_refusal, unmerge_refusal
from appeals_inspection.domain.review import ReviewedAnswer, Verdict, check_verdict, moot_on_arrival
from appeals_runtime.audit import AuditEntry
from appeals_runtime.errors import NotBelieved


class ReadModel(Protocol):
    async def appeals_for_update(self, appeal_ids: Sequence[UUID]) -> dict[UUID, dict[str, Any]]: ...
    async def merge(self, duplicate_id: UUID, into_id: UUID, at: datetime) -> None: ...
    async def unmerge(self, duplicate_id: UUID) -> None: ...
    async def merged_into(self, original_id: UUID) -> list[UUID]: ...
    async def linked_as_duplicate(self, duplicate_id: UUID, original_id: UUID) -> bool:
        """Whether intake linked ``duplicate_id`` as a possible duplicate of ``original_id``."""
        ...
    async def possible_duplicate(self, appeal_id: UUID, original_appeal_id: UUID, matched_by: str,
                                 distance_m: float | None, linked_at: datetime) -> None: ...
    async def re_appeal(self, appeal_id: UUID, earlier_appeal_id: UUID, matched_by: str,
                        linked_at: datetime) -> None: ...
    async def reopen(self, appeal_id: UUID, previous_answer_id: UUID, executor_code: str,
                     reopened_at: datetime) -> None: ...
    async def citizen_verdict(self, appeal_id: UUID, answer_id: UUID, executor_code: str, resolved: bool,
                              rating: int | None, given_at: datetime, comment: str | None = None) -> None: ...
    async def forwarded_late(self, appeal_id: UUID, executor_code: str, forwarded_at: datetime,
                             reported_at: datetime) -> None: ...
    async def lock_appeal(self, appeal_id: UUID) -> dict[str, Any]: ...
    async def has_held(self, appeal_id: UUID, executor_code: str) -> bool:
        """Whether an assignment of the appeal to ``executor_code`` is known."""
        ...
    async def apply_facts(self, facts: Sequence[AppealFactsChange]) -> None:
        """Several appeals' registrations, executors and due times at once (rows created when
        unknown, locked in the order given; a due time only moves later)."""
        ...
    async def add_assignments(self, assignments: Sequence[tuple[UUID, UUID, str, datetime]]) -> None:
        """(event id, appeal id, executor, assigned at) rows; one already there is left alone."""
        ...
    async def not_routed(self, appeal_id: UUID) -> None: ...
    async def add_answer(self, answer: dict[str, Any], *, superseded: bool = False) -> bool:
        """Queue an answer for review (or keep it as superseded); older waiting ones are superseded."""
        ...
    async def set_assignee(self, appeal_id: UUID, executor_code: str, employee_id: str, name: str | None) -> None:
        """The employee of ``executor_code`` responsible for the appeal (while it holds it)."""
        ...
    async def open_escalation(self, appeal_id: UUID, due_at: datetime, at: datetime) -> None: ...
    async def answer_for_update(self, answer_id: UUID) -> ReviewedAnswer | None: ...
    async def decide(self, answer_id: UUID, status: str, inspector_id: str, reason_code: str | None, comment: str,
                     at: datetime) -> None: ...
    async def close(self, answer: ReviewedAnswer, at: datetime) -> None: ...


class UnitOfWork(Protocol):
    @property
    def model(self) -> ReadModel: ...  # read-only, so an implementation may narrow it

    def decided(self, answer: ReviewedAnswer, verdict: Verdict, at: datetime) -> None:
        """Announce the verdict (answer accepted or returned)."""
        ...

    def audit(self, entry: AuditEntry) -> None:
        """Record the decision in the audit trail, in this transaction."""
        ...

    def merged(self, duplicate_id: UUID, into: dict[str, Any], by: Decider, at: datetime) -> None: ...
    def unmerged(self, duplicate_id: UUID, from_id: UUID, by: Decider, at: datetime) -> None: ...
    def shared(self, duplicate_id: UUID, answer: ReviewedAnswer, original_number: str, at: datetime) -> None:
        """The original's accepted answer, announced for a merged duplicate's citizen."""
        ...


#: Events that only set an appeal's facts: a run of them in a batch is applied set-based.
FACT_EVENTS = (AppealRegistered, AppealAssigned, DeadlineScheduled, DeadlineExtended)
#: Every event type :func:`on_events` acts on (the others on its topics are not read).
HANDLED = (*FACT_EVENTS, AppealNotRouted, AppealAnswered, AppealAssigneeChanged, DeadlineBreached, DuplicateLinked,
           ReAppealLinked, AppealReopened, CitizenVerdict, DeadlineForwardingBreached)


async def on_events(uow: UnitOfWork, events: Sequence[tuple[Envelope, Event]]) -> None:
    """A batch in its order: each run of fact events (registered, assigned, due times) in two
    statements whatever its length, every other event one at a time where it stands, so
    nothing overtakes an event of the same appeal."""
    run: list[tuple[Envelope, Event]] = []
    # Records of different topics come in no set order within a batch: an answer may stand before
    # the assignment that made its executor the holder.
    assigned = {(e.appeal_id, e.executor_code) for _, e in events if isinstance(e, (AppealAssigned, AppealReopened))}
    for envelope, event in events:
        if not hasattr(event, "appeal_id"):
            continue
        if isinstance(event, FACT_EVENTS):
            run.append((envelope, event))
            continue
        await _apply_facts(uow, run)
        run = []
        await on_event(uow, envelope, event, assigned_in_batch=assigned)
    await _apply_facts(uow, run)


def registration_facts(event: AppealRegistered) -> dict[str, Any]:
    """What the read model keeps of a registration: the appeal as the answer's page shows it,
    never who the citizen is (the contact stays with intake and notification)."""
    return dict(registration_number=event.registration_number, channel=event.channel, kind=event.kind,
                category=event.category, district=event.district, registered_at=event.registered_at,
                text=event.text, language=event.language, address=event.address,
                lat=event.location.lat if event.location else None,
                long=event.location.long if event.location else None,
                attributes=json.dumps(event.attributes, ensure_ascii=False) if event.attributes else None,
                attachments=json.dumps([a.model_dump(mode="json") for a in event.attachments])
                if event.attachments else None,
                consulted_by=event.consultation.answered_by if event.consultation else None,
                consulted_by_name=event.consultation.answered_by_name if event.consultation else None,
                prepared_answer=event.consultation.prepared_answer if event.consultation else None)


async def _apply_facts(uow: UnitOfWork, run: Sequence[tuple[Envelope, Event]]) -> None:
    if not run:
        return
    changes: dict[UUID, AppealFactsChange] = {}
    assignments: list[tuple[UUID, UUID, str, datetime]] = []
    for envelope, event in run:
        appeal_id: UUID = event.appeal_id  # type: ignore[attr-defined]
        change = changes.setdefault(appeal_id, AppealFactsChange(appeal_id))
        if isinstance(event, AppealRegistered):
            change.registration = registration_facts(event)
        elif isinstance(event, AppealAssigned):
            change.executor_code = event.executor_code
            assignments.append((envelope.id, appeal_id, event.executor_code, event.assigned_at))
        elif isinstance(event, (DeadlineScheduled, DeadlineExtended)):
            change.due_at = max(change.due_at, event.due_at) if change.due_at else event.due_at
    await uow.model.apply_facts(sorted(changes.values(), key=lambda c: str(c.appeal_id)))
    if assignments:
        await uow.model.add_assignments(assignments)


async def on_event(uow: UnitOfWork, envelope: Envelope, event: Event, *,
                   assigned_in_batch: AbstractSet[tuple[UUID, str]] = frozenset()) -> None:
    """Keep the read model: facts, assignments, answers into the queue, escalations on breach.
    ``assigned_in_batch``: (appeal, executor) of the assignments in the same batch, wherever."""
    if isinstance(event, FACT_EVENTS):
        await _apply_facts(uow, [(envelope, event)])  # the one way facts are kept, batch or not
        return
    appeal_id: UUID = event.appeal_id  # type: ignore[attr-defined]
    appeal = await uow.model.lock_appeal(appeal_id)  # its events apply one at a time
    if isinstance(event, AppealNotRouted):
        await uow.model.not_routed(appeal_id)
    elif isinstance(event, AppealAnswered):
        if (appeal_id, event.executor_code) not in assigned_in_batch:
            await _check_answerer(uow, appeal, event)
        await uow.model.add_answer({"answer_id": event.answer_id, "appeal_id": appeal_id,
                                    "executor_code": event.executor_code, "employee_id": event.employee_id,
                                    "text": event.text, "language": event.language,
                                    "submitted_at": event.answered_at, "portal_submitted_at": event.submitted_at,
                                    "employee_name": event.employee_name,
                                    "attachments": [a.model_dump(mode="json") for a in event.attachments]},
                                   superseded=moot_on_arrival(appeal.get("status"), appeal.get("accepted_at"),
                                                              event.answered_at))
    elif isinstance(event, AppealAssigneeChanged):
        await uow.model.set_assignee(appeal_id, event.executor_code, event.employee_id, event.employee_name)
    elif isinstance(event, DeadlineBreached):
        await uow.model.apply_facts([AppealFactsChange(appeal_id, due_at=event.due_at)])
        await uow.model.open_escalation(appeal_id, event.due_at, event.breached_at)
    elif isinstance(event, DuplicateLinked):
        await uow.model.possible_duplicate(appeal_id, event.original_appeal_id, event.matched_by, event.distance_m,
                                           event.linked_at)
    elif isinstance(event, ReAppealLinked):
        await uow.model.re_appeal(appeal_id, event.earlier_appeal_id, event.matched_by, event.linked_at)
    elif isinstance(event, AppealReopened):
        await uow.model.reopen(appeal_id, event.previous_answer_id, event.executor_code, event.reopened_at)
    elif isinstance(event, CitizenVerdict):
        await _check_verdict(uow, event)
        await uow.model.citizen_verdict(appeal_id, event.answer_id, event.executor_code, event.resolved, event.rating,
                                        event.given_at, event.comment)
    elif isinstance(event, DeadlineForwardingBreached):
        await uow.model.forwarded_late(appeal_id, event.from_executor_code, event.forwarded_at, event.reported_at)


async def _check_answerer(uow: UnitOfWork, appeal: dict[str, Any], event: AppealAnswered) -> None:
    """An answer only from an executor the appeal was assigned to (routing lets only the holder
    answer; an answer from anyone else was not written by routing). An appeal whose holder is
    not known yet has nothing to contradict the answer."""
    holder = appeal.get("executor_code")
    if holder is not None and holder != event.executor_code \
            and not await uow.model.has_held(event.appeal_id, event.executor_code):
        raise NotBelieved(f"appeal.answered from executor {event.executor_code!r} for appeal {event.appeal_id}, "
                          f"which is held by {holder!r}: routing accepts answers only from the holder")


async def _check_verdict(uow: UnitOfWork, event: CitizenVerdict) -> None:
    """A citizen's verdict only on an answer that exists, of the executor it names."""
    answer = await uow.model.answer_for_update(event.answer_id)
    if answer is None:
        raise NotBelieved(f"appeal.citizen_verdict on answer {event.answer_id}, which inspection does not know")
    if answer.executor_code != event.executor_code:
        raise NotBelieved(f"appeal.citizen_verdict names executor {event.executor_code!r}; answer {event.answer_id} "
                          f"is {answer.executor_code!r}'s")


class MergeRefused(Exception):
    """A merge or unmerge the rules refuse, with their reason (the HTTP layer maps it to a status)."""

    def __init__(self, refusal: MergeRefusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


def _side(row: dict[str, Any] | None) -> Side | None:
    return None if row is None else Side(row["status"], row["executor_code"], row["category"])


@dataclass(frozen=True)
class Decider:
    """Who merges: the token's subject, in which role, and an executor's code."""

    subject: str
    role: str  # inspector or executor
    executor_code: str | None = None


async def merge(uow: UnitOfWork, duplicate_id: UUID, into_id: UUID, *, by: Decider, now: datetime) -> dict[str, str]:
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
    assert into is not None  # (the rules refuse an unknown original)
    await uow.model.merge(duplicate_id, into_id, now)
    uow.merged(duplicate_id, into, by, now)
    uow.audit(AuditEntry(actor=by.subject, role=by.role, action="merge", appeal_id=duplicate_id, outcome="merged",
                         at=now, details={"into_appeal_id": str(into_id)}))
    return {"appeal_id": str(duplicate_id), "into_appeal_id": str(into_id), "status": "merged"}


async def unmerge(uow: UnitOfWork, duplicate_id: UUID, *, by: Decider, now: datetime) -> dict[str, str]:
    """Undo a merge before the original is answered; the appeal is open again."""
    found = await uow.model.appeals_for_update([duplicate_id])
    dup = found.get(duplicate_id)
    from_id: UUID | None = dup["merged_into"] if dup is not None else None
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
    return {"appeal_id": str(duplicate_id), "status": "open"}


async def decide(uow: UnitOfWork, answer_id: UUID, verdict: Verdict, *, return_reasons: frozenset[str],
                 now: datetime) -> dict[str, str]:
    """Accept or return a waiting answer; raises ``VerdictRefused`` (409 when it is not waiting)."""
    answer = await uow.model.answer_for_update(answer_id)
    appeal = await uow.model.lock_appeal(answer.appeal_id) if answer else None
    check_verdict(answer.status if answer else None, verdict, return_reasons,
                  appeal_status=appeal["status"] if appeal else None)
    assert answer is not None
    if verdict.accept:
        await uow.model.decide(answer_id, "accepted", verdict.inspector_id, None, "", now)
        await uow.model.close(answer, now)
        original = await uow.model.lock_appeal(answer.appeal_id)
        for duplicate_id in await uow.model.merged_into(answer.appeal_id):  # their citizens get it too
            uow.shared(duplicate_id, answer, original["registration_number"], now)
    else:
        await uow.model.decide(answer_id, "returned", verdict.inspector_id, verdict.reason_code, verdict.comment, now)
    uow.decided(answer, verdict, now)
    uow.audit(AuditEntry(
        actor=verdict.inspector_id, role="inspector", action="accept" if verdict.accept else "return",
        appeal_id=answer.appeal_id, outcome="accepted" if verdict.accept else "returned", at=now,
        details={"answer_id": str(answer_id), "executor_code": answer.executor_code,
                 "employee_id": answer.employee_id, "reason_code": verdict.reason_code}))
    return {"answer_id": str(answer_id), "appeal_id": str(answer.appeal_id),
            "status": "accepted" if verdict.accept else "returned", "decided_at": now.isoformat()}
