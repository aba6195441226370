"""Keeping the read model from the appeal's events: facts set-based, the rest one by one."""

from __future__ import annotations

from collections.abc import Sequence, Set as AbstractSet
from datetime import datetime
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
from appeals_inspection.domain.facts import AppealFactsChange, AppealState, Registration
from appeals_inspection.domain.review import ArrivingAnswer, moot_on_arrival
from appeals_inspection.handlers.ports import UnitOfWork
from appeals_runtime.errors import NotBelieved


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


def registration_facts(event: AppealRegistered) -> Registration:
    """What the read model keeps of a registration (never who the citizen is)."""
    location, consultation = event.location, event.consultation
    return Registration(
        registration_number=event.registration_number, channel=event.channel, kind=event.kind,
        category=event.category, district=event.district, registered_at=event.registered_at, text=event.text,
        language=event.language, address=event.address, lat=location.lat if location else None,
        long=location.long if location else None, attributes=event.attributes or None,
        attachments=tuple(event.attachments), consulted_by=consultation.answered_by if consultation else None,
        consulted_by_name=consultation.answered_by_name if consultation else None,
        prepared_answer=consultation.prepared_answer if consultation else None)


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
        answer = ArrivingAnswer(answer_id=event.answer_id, appeal_id=appeal_id, executor_code=event.executor_code,
                                employee_id=event.employee_id, text=event.text, language=event.language,
                                submitted_at=event.answered_at, portal_submitted_at=event.submitted_at,
                                employee_name=event.employee_name, attachments=tuple(event.attachments))
        await uow.model.add_answer(answer, superseded=moot_on_arrival(appeal.status, appeal.accepted_at,
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


async def _check_answerer(uow: UnitOfWork, appeal: AppealState, event: AppealAnswered) -> None:
    """An answer only from an executor the appeal was assigned to (routing lets only the holder
    answer; an answer from anyone else was not written by routing). An appeal whose holder is
    not known yet has nothing to contradict the answer."""
    holder = appeal.executor_code
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


