"""The deadline tracker's use cases as plain async functions over a unit of work."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import (
    DeadlineApproaching,
    DeadlineBreached,
    DeadlineClosed,
    DeadlineExtended,
    DeadlineExtensionRefused,
    DeadlineScheduled,
)
from appeals_deadlines.adapters.repository import DeadlineRow, Timer
from appeals_deadlines.domain.calendar import WorkingCalendar
from appeals_deadlines.domain.policies import Regime, due_at, is_on_time, reminders_at

SOURCE = "/services/deadline-tracker"


def _envelope(event, appeal_id: UUID, at: datetime | None = None) -> Envelope:
    return Envelope.wrap(event, source=SOURCE, subject=str(appeal_id), time=at)


def _timers(appeal_id: UUID, due: datetime, reminders: tuple[datetime, ...]) -> list[Timer]:
    return [Timer(appeal_id, "reminder", due, r) for r in reminders] + [Timer(appeal_id, "breach", due, due)]


async def schedule(uow, *, appeal_id: UUID, channel_family: str, registered_at: datetime, regime: Regime,
                   calendar: WorkingCalendar, now: datetime) -> None:
    """Compute the due time by the policy for the channel, store it with its timers, announce."""
    policy = regime.policies[regime.by_channel_family[channel_family]]
    due = due_at(policy, registered_at, calendar)
    reminders = reminders_at(policy, due, calendar)
    if not await uow.deadlines.add(DeadlineRow(appeal_id, policy.code, regime.code, registered_at, due, False,
                                               "open", None)):
        return
    await uow.deadlines.add_timers(_timers(appeal_id, due, reminders))
    uow.announce(_envelope(DeadlineScheduled(appeal_id=appeal_id, policy_code=policy.code, regime=regime.code,
                                             due_at=due, reminders_at=reminders, scheduled_at=now), appeal_id))


async def request_extension(uow, *, appeal_id: UUID, reason: str, requested_at: datetime, regime: Regime,
                            calendar: WorkingCalendar, now: datetime) -> None:
    """Grant once per appeal, if asked before the due time and the policy allows it;
    otherwise refuse with the reason."""
    row = await uow.deadlines.get_for_update(appeal_id)
    refusal = None
    policy = next((p for p in regime.policies.values() if row and p.code == row.policy_code), None)
    if row is None:
        refusal = "no deadline is known for this appeal"
    elif row.status != "open":
        refusal = "the deadline is already closed"
    elif row.extended:
        refusal = "the deadline was already extended once"
    elif requested_at >= row.due_at:
        refusal = "the request came after the due time"
    elif policy is None:
        refusal = f"the deadline follows policy {row.policy_code}, which regime {regime.code} no longer has"
    elif policy.extended_period is None:
        refusal = f"policy {row.policy_code} allows no extension"
    if refusal is not None:
        uow.announce(_envelope(DeadlineExtensionRefused(
            appeal_id=appeal_id, due_at=row.due_at if row else now, reason=refusal, refused_at=now), appeal_id))
        return
    new_due = due_at(policy, row.registered_at, calendar, extended=True)
    await uow.deadlines.cancel_timers(appeal_id)
    await uow.deadlines.add_timers(_timers(appeal_id, new_due, reminders_at(policy, new_due, calendar)))
    await uow.deadlines.update(appeal_id, due_at=new_due, extended=True)
    uow.announce(_envelope(DeadlineExtended(appeal_id=appeal_id, previous_due_at=row.due_at, due_at=new_due,
                                            reason=reason, extended_at=now), appeal_id))


async def record_answer(uow, *, appeal_id: UUID, submitted_at: datetime) -> None:
    """An answer was submitted: remembered, but the clock keeps running until it is accepted."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is not None and row.status == "open":
        await uow.deadlines.update(appeal_id, last_answer_submitted_at=submitted_at)


async def accept_answer(uow, *, appeal_id: UUID, answer_submitted_at: datetime, now: datetime) -> None:
    """The accepted answer stops the clock: on time when it was submitted before the due time."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is None or row.status != "open":
        return
    on_time = is_on_time(answer_submitted_at, row.due_at)
    await uow.deadlines.cancel_timers(appeal_id)
    await uow.deadlines.update(appeal_id, status="closed", on_time=on_time, closed_at=now,
                               last_answer_submitted_at=answer_submitted_at)
    uow.announce(_envelope(DeadlineClosed(appeal_id=appeal_id, due_at=row.due_at, answered_at=answer_submitted_at,
                                          on_time=on_time, closed_at=now), appeal_id))


async def not_routed(uow, *, appeal_id: UUID) -> None:
    """No executor will answer (anonymous without a threat, a consultation): no timers."""
    row = await uow.deadlines.get_for_update(appeal_id)
    if row is not None and row.status == "open":
        await uow.deadlines.cancel_timers(appeal_id)
        await uow.deadlines.update(appeal_id, status="not_routed")


async def fire_due_timers(uow, *, now: datetime, limit: int) -> int:
    """Fire what is due: reminders become ``deadline.approaching``, the breach timer
    ``deadline.breached``. Timers of a closed or moved deadline fire silently."""
    timers = await uow.deadlines.claim_due_timers(now, limit)
    open_rows = await uow.deadlines.open_deadlines(sorted({t.appeal_id for t in timers}))
    for t in timers:
        row = open_rows.get(t.appeal_id)
        if row is None or row.due_at != t.due_at:
            continue
        if t.kind == "breach":
            uow.announce(_envelope(DeadlineBreached(appeal_id=t.appeal_id, due_at=t.due_at, breached_at=now),
                                   t.appeal_id))
        else:
            uow.announce(_envelope(DeadlineApproaching(appeal_id=t.appeal_id, due_at=t.due_at, remind_at=t.fire_at),
                                   t.appeal_id))
    return len(timers)
