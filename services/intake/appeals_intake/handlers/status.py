"""The status read model: other services' progress on the timeline, and the views of it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from appeals_intake.domain.model import Appeal
from appeals_intake.domain.status import AppealStatus, TimelineEntry, for_citizen, summarize
from appeals_intake.domain.status_token import token_matches
from appeals_runtime.errors import NotBelieved
from appeals_intake.handlers.ports import UnitOfWork


_ASSIGNING = ("appeal.assigned", "appeal.reopened")


#: Events of the progress topics the citizen's timeline leaves out: who inside the executor is
#: responsible is the executor's and the inspectors' business.
NOT_IN_TIMELINE = frozenset({"appeal.assignee_changed"})


async def link_answer_photos(uow: UnitOfWork, photos: Sequence[tuple[UUID, UUID, str]]) -> None:
    """(appeal, attachment, employee): the photos an answer names belong to its appeal from now
    on (so the executor holding it and staff may fetch them, and they do not expire), each only
    if that employee uploaded it and no appeal has it yet."""
    if photos:
        await uow.appeals.link_uploads(photos)


async def record_progress(uow: UnitOfWork, entries: Sequence[tuple[UUID, TimelineEntry]]) -> None:
    """Add other services' events to their appeals' timelines (the status read model). An answer
    the citizen would read is believed only from an executor the appeal was assigned to."""
    if not entries:
        return
    answered = [appeal_id for appeal_id, e in entries if e.event_type == "appeal.answered"]
    if answered:
        holders = await uow.appeals.holders(answered)
        for appeal_id, entry in entries:  # anywhere in the batch: topics come in no set order
            if entry.event_type in _ASSIGNING and entry.details.get("executor_code"):
                holders.setdefault(appeal_id, set()).add(entry.details["executor_code"])
        for appeal_id, entry in entries:
            executor = entry.details.get("executor_code")
            if entry.event_type == "appeal.answered" and holders.get(appeal_id) \
                    and executor not in holders[appeal_id]:
                raise NotBelieved(f"appeal.answered from executor {executor!r} for appeal {appeal_id}, which was "
                                  f"never assigned to it")
    await uow.appeals.add_timeline(entries)


@dataclass(frozen=True)
class StatusView:
    appeal: Appeal
    status: AppealStatus


async def appeal_status(uow: UnitOfWork, registration_number: str, *, token: str | None = None,
                        token_secret: bytes | None = None, author: str | None = None) -> StatusView | None:
    """The appeal's current status and timeline, or ``None`` when the number is unknown. With
    ``token_secret`` (a citizen asking) also ``None`` unless ``token`` is the appeal's status
    token or ``author`` (the subject of the citizen's verified token) is the appeal's author:
    a guessed number looks exactly like an unknown one."""
    appeal = await uow.appeals.get_by_number(registration_number)
    if appeal is None:
        return None
    if token_secret is not None and not (
            token_matches(token_secret, appeal.appeal_id, token)
            or (author is not None and appeal.submission.author_subject == author)):
        return None
    timeline = await uow.appeals.timeline(appeal.appeal_id)
    return StatusView(appeal, summarize(timeline if token_secret is None else for_citizen(timeline)))


async def authored_appeals(uow: UnitOfWork, subject: str, *, limit: int = 100) -> list[StatusView]:
    """The appeals a signed-in citizen submitted in person, newest first."""
    return [StatusView(a, summarize(for_citizen(await uow.appeals.timeline(a.appeal_id))))
            for a in await uow.appeals.by_author(subject, limit)]


async def public_requests(uow: UnitOfWork, *, numbers: Sequence[str] = (), categories: Sequence[str] = (),
                          start: datetime, end: datetime, statuses: Callable[[AppealStatus], bool] = lambda s: True,
                          limit: int = 1000, page: int = 500) -> list[StatusView]:
    """Appeals for Open311's request lists, newest first: by number when ``numbers`` are given
    (they override everything else), else registered in [start, end] in ``categories`` (all when
    empty) whose status passes ``statuses``; at most ``limit``. Read a page at a time, each
    page's timelines in one statement, until ``limit`` pass the status filter."""
    if numbers:
        appeals = await uow.appeals.by_numbers(numbers)
        timelines = await uow.appeals.timelines([a.appeal_id for a in appeals])
        return [StatusView(a, summarize(for_citizen(timelines.get(a.appeal_id, [])))) for a in appeals][:limit]
    found: list[StatusView] = []
    before: tuple[datetime, str] | None = None
    while len(found) < limit:
        appeals = await uow.appeals.registered_between(start, end, categories, before=before, limit=page)
        if not appeals:
            break
        timelines = await uow.appeals.timelines([a.appeal_id for a in appeals])
        for a in appeals:
            view = StatusView(a, summarize(for_citizen(timelines.get(a.appeal_id, []))))
            if statuses(view.status):
                found.append(view)
        last = appeals[-1]
        before = (last.registered_at, last.registration_number)
        if len(appeals) < page:
            break
    return found[:limit]


def timeline_details(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the timeline keeps of another service's event: codes, times and the accepted
    answer; never contact details."""
    keep = {
        "appeal.assigned": ("executor_code", "previous_executor_code", "reason"),
        "appeal.not_routed": ("reason",),
        "appeal.answered": ("executor_code", "submitted_at", "received_at"),
        "deadline.scheduled": ("due_at", "policy_code"),
        "deadline.extended": ("due_at", "previous_due_at", "reason"),  # the executor's reason, for the citizen
        "deadline.extension_refused": ("due_at",),
        "deadline.breached": ("due_at",),
        "deadline.closed": ("due_at", "on_time", "answered_at"),
        "deadline.forwarding_breached": ("forwarding_due_at", "forwarded_at", "from_executor_code"),
        "deadline.extension_notice_late": ("notice_due_at", "delivered_at"),
        "inspection.answer_returned": ("reason_code",),
        "inspection.answer_accepted": ("executor_code", "answer_id"),
        "appeal.reopened": ("executor_code", "previous_answer_id"),
        "inspection.appeal_merged": ("into_appeal_id", "into_registration_number"),
        "inspection.appeal_unmerged": ("from_appeal_id",),
        "inspection.answer_shared": ("original_registration_number", "executor_code"),
        "deadline.stopped": ("reason", "due_at"),
        "appeal.citizen_verdict": ("answer_id", "resolved", "rating"),
    }.get(event_type, ())
    details = {k: payload[k] for k in keep if payload.get(k) is not None}
    if event_type in ("inspection.answer_accepted", "inspection.answer_shared"):
        details["answer"] = payload.get("answer_text")
    return details
