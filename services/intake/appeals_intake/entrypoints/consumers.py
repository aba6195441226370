"""Intake's inbound table (submissions, and other services' events for the timeline) and its
background sweep of uploaded files nobody named."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from appeals_contracts.events import AppealAnswered, AppealSubmitted, VerdictSubmitted
from appeals_contracts.registry import EVENT_TYPES
from appeals_contracts.topics import TOPICS
from appeals_intake import handlers
from appeals_intake.adapters import metrics
from appeals_intake.adapters.events import timeline_entry, to_command, verdict_given
from appeals_intake.adapters.object_store import ObjectStore
from appeals_intake.adapters.unit_of_work import PostgresUnitOfWork
from appeals_intake.config import IntakeSettings
from appeals_intake.domain.model import Catalog
from appeals_runtime.inbound import Delivery
from appeals_runtime.inbound import Subscription, batch
from appeals_runtime.service import Runtime

log = logging.getLogger(__name__)

#: Topics whose events only add to an appeal's timeline, and the event types it shows.
PROGRESS_TOPICS = ("appeals.assigned.v1", "appeals.answered.v1", "appeals.deadlines.v1", "appeals.inspections.v1")
PROGRESS_EVENTS = tuple(EVENT_TYPES[t] for topic in PROGRESS_TOPICS for t in TOPICS[topic].event_types
                        if t not in handlers.NOT_IN_TIMELINE)


def subscriptions(catalog: Catalog, settings: IntakeSettings) -> list[Subscription]:
    """Intake's inbound table: submissions and channel verdicts; other services' events for
    the timeline."""

    async def on_appeals_intake(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        commands = [
            to_command(d.event, correlation_id=d.envelope.correlation_id or str(d.envelope.id),
                       context=d.trace_context)
            for d in deliveries if isinstance(d.event, AppealSubmitted)
        ]
        await handlers.submit_appeals(uow, commands, catalog=catalog, now=uow.clock.now(), **settings.registration())
        await handlers.verdicts_from_channels(
            uow, [verdict_given(d.event) for d in deliveries if isinstance(d.event, VerdictSubmitted)],
            token_secret=settings.token_secret(), now=uow.clock.now(),
            window=timedelta(days=settings.verdict_window_days))

    async def on_progress(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        entries = []
        photos = []
        for delivery in deliveries:
            if isinstance(answer := delivery.event, AppealAnswered):
                photos += [(answer.appeal_id, a.attachment_id, answer.employee_id) for a in answer.attachments]
            entries.append(timeline_entry(delivery.envelope, delivery.event))
        await handlers.record_progress(uow, entries)
        await handlers.link_answer_photos(uow, photos)

    return [batch("appeals.intake.v1", "appeals.intake.v1", (AppealSubmitted, VerdictSubmitted), on_appeals_intake),
            batch("progress", PROGRESS_TOPICS, PROGRESS_EVENTS, on_progress)]


async def sweep_orphan_attachments(runtime: Runtime[PostgresUnitOfWork], *, store: ObjectStore, ttl: timedelta, batch_size: int) -> bool:
    """Remove one batch of uploaded files no submission named in time: marked expiring in one
    transaction, the bytes deleted outside any, the rows forgotten in another. True when a full
    batch suggests more are due."""
    async with runtime.unit_of_work() as uow:
        keys = await handlers.expire_orphan_attachments(uow, now=runtime.clock.now(), ttl=ttl, limit=batch_size)
    if not keys:
        return False
    deleted, faults = await handlers.delete_objects(store, keys)
    if deleted:
        async with runtime.unit_of_work() as uow:
            await uow.appeals.forget_attachments(deleted)
        metrics.ORPHANS_REMOVED.inc(len(deleted))
    if faults:
        metrics.ORPHAN_DELETE_FAULTS.inc(len(faults))
        log.warning("the object store refused %d deletions of orphan files (%s); tried again next round",
                    len(faults), ", ".join(sorted(set(faults))))
        return False
    return len(keys) == batch_size
