"""The deadline tracker's use cases as plain async functions over a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol
from uuid import UUID

from opentelemetry.context import Context

from appeals_deadlines.domain.calendar import WorkingCalendar, local_date, receipt_day
from appeals_deadlines.domain.model import Deadline, Timer
from appeals_deadlines.domain.policies import (
    Regime,
    due_at,
    forwarding_due_at,
    is_on_time,
    notice_due_at,
    reminders_at,
)

#: The notice whose delivery the applicant-notice limit is checked against.
EXTENSION_NOTICE = "citizen.extended"


class DeadlineRepository(Protocol):
    async def get_for_update(self, appeal_id: UUID) -> Deadline | None: ...
    async def add_all(self, deadlines: Sequence[Deadline]) -> set[UUID]:
        """Insert in one statement; the appeals that had no deadline yet (the others are
        redeliveries, left alone)."""
        ...
    async def update(self, appeal_id: UUID, **fields: object) -> None: ...
    async def add_timers(self, timers: Sequence[Timer]) -> None: ...
    async def cancel_timers(self, appeal_id: UUID) -> None: ...
    async def claim_due_timers(self, now: datetime, limit: int) -> list[Timer]: ...
    async def open_deadlines(self, appeal_ids: Sequence[UUID]) -> dict[UUID, Deadline]: ...
    async def defer(self, appeal_id: UUID, kind: str, args: dict[str, str]) -> None: ...
    async def add_answer_time(self, appeal_id: UUID, answered_at: datetime) -> None:
        """Remember an answer's time (the last one's, and among all of them)."""
        ...
    async def take_deferred(self, appeal_id: UUID, kind: str) -> list[dict[str, str]]:
        """The events of ``kind`` kept for the appeal, in the order they arrived, removed."""
        ...
    async def take_deferred_all(self, appeal_ids: Sequence[UUID]) -> dict[UUID, list[tuple[str, dict[str, str]]]]:
        """The events kept for these appeals until their deadline existed, each appeal's in the
        order they arrived, removed."""
        ...


class UnitOfWork(Protocol):
    @property
    def deadlines(self) -> DeadlineRepository: ...  # read-only, so an implementation may narrow it
    #: The trace context announcements join when none is given (the appeal's, per appeal).
    trace_context: Context | None

    def scheduled(self, deadline: Deadline, reminders: tuple[datetime, ...], at: datetime, *,
                  reopened: bool = False, resumed: bool = False) -> None: ...

    def stopped(self, deadline: Deadline, reason: str, at: datetime) -> None:
        """The clock stopped without an answer (merged)."""
        ...
    def extension_refused(self, appeal_id: UUID, due_at: datetime, reason: str, at: datetime) -> None: ...
    def extended(self, deadline: Deadline, new_due: datetime, reason: str, at: datetime,
                 notice_due: datetime | None = None) -> None: ...
    def closed(self, deadline: Deadline, answered_at: datetime, on_time: bool, at: datetime) -> None: ...

    def fired(self, timer: Timer, at: datetime) -> None:
        """A reminder (deadline approaching) or the breach."""
        ...

    def forwarding_breached(self, deadline: Deadline, forwarded_at: datetime, from_executor: str, to_executor: str,
                            at: datetime) -> None: ...

    def notice_late(self, deadline: Deadline, delivered_at: datetime | None, at: datetime) -> None: ...


def _timers(appeal_id: UUID, due: datetime, reminders: tuple[datetime, ...]) -> list[Timer]:
    return [Timer(appeal_id, "reminder", due, r) for r in reminders] + [Timer(appeal_id, "breach", due, due)]


@dataclass(frozen=True)
class Registration:
    """A registered appeal to schedule, with the trace context its schedule is announced in."""

    appeal_id: UUID
    channel_family: str
    registered_at: datetime
    context: Context | None = None


async def schedule(uow: UnitOfWork, *, appeal_id: UUID, channel_family: str, registered_at: datetime, regime: Regime,
                   calendar: WorkingCalendar, now: datetime) -> None:
    """Compute the due time by the policy for the channel, store it with its timers, announce."""
    await schedule_all(uow, [Registration(appeal_id, channel_family, registered_at)], regime=regime,
                       calendar=calendar, now=now)


async def schedule_all(uow: UnitOfWork, registrations: Sequence[Registration], *, regime: Regime,
                       calendar: WorkingCalendar, now: datetime) -> None:
    """A run of registrations in three statements whatever its length (deadlines, timers, the
    events that came before them), each appeal announced in its own trace and in the run's
    order; a registration seen before (a redelivery) changes nothing."""
    plans: dict[UUID, tuple[Deadline, tuple[datetime, ...], Registration]] = {}
    for r in registrations:
        if r.appeal_id in plans:
            continue
        policy = regime.policies[regime.by_channel_family[r.channel_family]]
        counted_from = receipt_day(r.registered_at, calendar, regime.working_hours)
        due = due_at(policy, counted_from, calendar)
        deadline = Deadline(r.appeal_id, policy.code, regime.code, r.registered_at, due, False, "open", None,
                            counted_from=counted_from,
                            forwarding_due_at=forwarding_due_at(policy, counted_from, calendar))
        plans[r.appeal_id] = (deadline, reminders_at(policy, due, calendar), r)
    if not plans:
        return
    new = await uow.deadlines.add_all([deadline for deadline, _, _ in plans.values()])
    if not new:
        return
    await uow.deadlines.add_timers([timer for appeal_id, (deadline, reminders, _) in plans.items() if appeal_id in new
                                    for timer in _timers(appeal_id, deadline.due_at, reminders)])
    deferred = await uow.deadlines.take_deferred_all([a for a in plans if a in new])
    unit_context = uow.trace_context
    try:
        for appeal_id, (deadline, reminders, registration) in plans.items():
            if appeal_id not in new:
                continue
            uow.trace_context = registration.context or unit_context
            uow.scheduled(deadline, reminders, now)
            await _apply_deferred(uow, appeal_id, deferred.get(appeal_id, []), regime=regime, calendar=calendar,
                                  now=now)
    finally:
        uow.trace_context = unit_context


async def _apply_deferred(uow: UnitOfWork, appeal_id: UUID, kept: list[tuple[str, dict[str, str]]], *,
                          regime: Regime, calendar: WorkingCalendar, now: datetime) -> None:
    """What arrived before the registration now applies, in the order it arrived."""
    for kind, args in kept:
        if kind == "not_routed":
            await not_routed(uow, appeal_id=appeal_id)
        elif kind == "answer":
            await record_answer(uow, appeal_id=appeal_id, submitted_at=datetime.fromisoformat(args["submitted_at"]),
                                now=now)
        elif kind == "accepted":
            await accept_answer(uow, appeal_id=appeal_id,
                                answer_submitted_at=datetime.fromisoformat(args["answer_submitted_at"]), now=now)
        elif kind == "extension":
            await request_extension(uow, appeal_id=appeal_id, reason=args["reason"],
                                    requested_at=datetime.fromisoformat(args["requested_at"]), regime=regime,
                                    calendar=calendar, now=now)
        elif kind == "merged":
            await stop_merged(uow, appeal_id=appeal_id, now=now)
        elif kind == "unmerged":
            await resume_unmerged(uow, appeal_id=appeal_id, regime=regime, calendar=calendar, now=now)
        elif kind == "reopened":
            await reopen(uow, appeal_id=appeal_id, reopened_at=datetime.fromisoformat(args["reopened_at"]),
                         regime=regime, calendar=calendar, now=now)
        elif kind == "forwarded":
            await record_forwarding(uow, appeal_id=appeal_id, forwarded_at=datetime.fromisoformat(args["forwarded_at"]),
                                    from_executor=args["from"], to_executor=args["to"], now=now)


async def request_extension(uow: UnitOfWork, *, appeal_id: UUID, reason: str, requested_at: datetime, regime: Regime,
                            calendar: WorkingCalendar, now: datetime) -> None:
    """Grant once per appeal, if asked before the due time and the policy allows it;
    otherwise refuse with the reason."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is None:  # the registration has not reached us yet
        await uow.deadlines.defer(appeal_id, "extension", {"reason": reason, "requested_at": requested_at.isoformat()})
        return
    refusal = None
    policy = next((p for p in regime.policies.values() if p.code == row.policy_code), None)
    if row.status != "open":
        refusal = "the deadline is already closed"
    elif row.extended:
        refusal = "the deadline was already extended once"
    elif requested_at >= row.due_at:
        refusal = "the request came after the due time"
    elif policy is None:
        refusal = f"the deadline follows policy {row.policy_code}, which regime {regime.code} no longer has"
    elif policy.extended_period is None:
        refusal = f"policy {row.policy_code} allows no extension"
    if refusal is not None or policy is None:
        uow.extension_refused(appeal_id, row.due_at, refusal or "", now)
        return
    new_due = due_at(policy, row.counted_from or local_date(row.registered_at), calendar, extended=True)
    notice_due = notice_due_at(policy, now, calendar)
    await uow.deadlines.cancel_timers(appeal_id)
    timers = _timers(appeal_id, new_due, reminders_at(policy, new_due, calendar))
    if notice_due is not None:  # was the applicant told in time? checked when the limit passes
        timers.append(Timer(appeal_id, "notice", new_due, notice_due))
    await uow.deadlines.add_timers(timers)
    await uow.deadlines.update(appeal_id, due_at=new_due, extended=True, notice_due_at=notice_due)
    uow.extended(row, new_due, reason, now, notice_due)


async def record_answer(uow: UnitOfWork, *, appeal_id: UUID, submitted_at: datetime, now: datetime) -> None:
    """An answer was submitted: remembered, but the clock keeps running until it is accepted
    (an acceptance that came before it now applies)."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is None:
        await uow.deadlines.defer(appeal_id, "answer", {"submitted_at": submitted_at.isoformat()})
    elif row.status == "open":
        await uow.deadlines.add_answer_time(appeal_id, submitted_at)
        for early in await uow.deadlines.take_deferred(appeal_id, "accepted"):
            await accept_answer(uow, appeal_id=appeal_id,
                                answer_submitted_at=datetime.fromisoformat(early["answer_submitted_at"]), now=now)


async def accept_answer(uow: UnitOfWork, *, appeal_id: UUID, answer_submitted_at: datetime, now: datetime) -> None:
    """The accepted answer stops the clock: on time when routing received it before the due
    time. Only an answer the tracker heard of (from routing's ``appeal.answered``) can be
    accepted: an acceptance of any other waits for it, and has no effect until then."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is None:
        await uow.deadlines.defer(appeal_id, "accepted", {"answer_submitted_at": answer_submitted_at.isoformat()})
        return
    if row.status != "open":
        return
    if not row.has_answer_at(answer_submitted_at):
        await uow.deadlines.defer(appeal_id, "accepted", {"answer_submitted_at": answer_submitted_at.isoformat()})
        return
    on_time = is_on_time(answer_submitted_at, row.due_at)
    await uow.deadlines.cancel_timers(appeal_id)
    await uow.deadlines.update(appeal_id, status="closed", on_time=on_time, closed_at=now,
                               last_answer_submitted_at=answer_submitted_at)
    uow.closed(row, answer_submitted_at, on_time, now)


async def record_forwarding(uow: UnitOfWork, *, appeal_id: UUID, forwarded_at: datetime, from_executor: str,
                            to_executor: str, now: datetime) -> None:
    """A reassignment ("not our competence"): reported as a breach when it came after the
    forwarding limit. The clock of the appeal itself is not restarted."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is None:
        await uow.deadlines.defer(appeal_id, "forwarded", {"forwarded_at": forwarded_at.isoformat(),
                                                           "from": from_executor, "to": to_executor})
        return
    if row.forwarding_due_at is not None and forwarded_at > row.forwarding_due_at:
        uow.forwarding_breached(row, forwarded_at, from_executor, to_executor, now)


async def record_notice_delivery(uow: UnitOfWork, *, appeal_id: UUID, template: str, delivered_at: datetime,
                                 now: datetime) -> None:
    """The applicant's extension notice reached its provider: late when after the limit (the
    first delivery counts; a notice not delivered by the limit was already reported then)."""
    if template != EXTENSION_NOTICE:
        return
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is None or row.notice_due_at is None or row.notice_delivered_at is not None:
        return
    await uow.deadlines.update(appeal_id, notice_delivered_at=delivered_at)
    if delivered_at > row.notice_due_at:
        uow.notice_late(row, delivered_at, now)


async def reopen(uow: UnitOfWork, *, appeal_id: UUID, reopened_at: datetime, regime: Regime,
                 calendar: WorkingCalendar, now: datetime) -> None:
    """The citizen reopened the appeal: a closed deadline opens again under the regime's
    reopened policy, counted from the reopening, with its reminders and breach."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is None:
        await uow.deadlines.defer(appeal_id, "reopened", {"reopened_at": reopened_at.isoformat()})
        return
    if row.status != "closed":
        return  # open already (a repeat), or never routed
    policy = regime.policies.get(f"{regime.code}.{regime.reopened}") if regime.reopened else None
    policy = policy or next((p for p in regime.policies.values() if p.code == row.policy_code), None)
    if policy is None:
        return
    counted_from = receipt_day(reopened_at, calendar, regime.working_hours)
    due = due_at(policy, counted_from, calendar)
    reminders = reminders_at(policy, due, calendar)
    await uow.deadlines.cancel_timers(appeal_id)
    await uow.deadlines.add_timers(_timers(appeal_id, due, reminders))
    await uow.deadlines.update(appeal_id, status="open", due_at=due, extended=False, policy_code=policy.code,
                               counted_from=counted_from, on_time=None, closed_at=None, notice_due_at=None,
                               notice_delivered_at=None, last_answer_submitted_at=None,
                               answer_times=[])  # the accepted answer no longer counts
    uow.scheduled(replace(row, policy_code=policy.code, due_at=due, extended=False, status="open",
                          counted_from=counted_from, forwarding_due_at=None), reminders, now, reopened=True)


async def stop_merged(uow: UnitOfWork, *, appeal_id: UUID, now: datetime) -> None:
    """The appeal was merged into another: its clock stops, with that reason (never late)."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is None:
        await uow.deadlines.defer(appeal_id, "merged", {})
        return
    if row.status != "open":
        return
    await uow.deadlines.cancel_timers(appeal_id)
    await uow.deadlines.update(appeal_id, status="merged", closed_at=now)
    uow.stopped(row, "merged", now)


async def resume_unmerged(uow: UnitOfWork, *, regime: Regime, calendar: WorkingCalendar, now: datetime,
                          appeal_id: UUID) -> None:
    """A merge undone: the clock runs again to the same due time (a breach fires at once if
    it has passed), with its reminders."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is None:
        await uow.deadlines.defer(appeal_id, "unmerged", {})
        return
    if row.status != "merged":
        return
    policy = next((p for p in regime.policies.values() if p.code == row.policy_code), None)
    reminders = reminders_at(policy, row.due_at, calendar) if policy else ()
    await uow.deadlines.add_timers(_timers(appeal_id, row.due_at, reminders))
    await uow.deadlines.update(appeal_id, status="open", closed_at=None)
    uow.scheduled(replace(row, status="open"), reminders, now, resumed=True)


async def not_routed(uow: UnitOfWork, *, appeal_id: UUID) -> None:
    """No executor will answer (anonymous without a threat, a consultation): no timers."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is None:
        await uow.deadlines.defer(appeal_id, "not_routed", {})
    elif row.status == "open":
        await uow.deadlines.cancel_timers(appeal_id)
        await uow.deadlines.update(appeal_id, status="not_routed")


async def fire_due_timers(uow: UnitOfWork, *, now: datetime, limit: int) -> int:
    """Fire what is due: reminders become ``deadline.approaching``, the breach timer
    ``deadline.breached``. Timers of a closed or moved deadline fire silently."""
    timers = await uow.deadlines.claim_due_timers(now, limit)
    open_rows = await uow.deadlines.open_deadlines(sorted({t.appeal_id for t in timers}))
    for t in timers:
        row = open_rows.get(t.appeal_id)
        if row is None or row.due_at != t.due_at:
            continue
        if t.kind == "notice":
            if row.notice_delivered_at is None:  # nothing reached the applicant by the limit
                uow.notice_late(row, None, now)
        else:
            uow.fired(t, now)
    return len(timers)
