"""Intake's Kafka subscriptions: submissions, and other services' events for the timeline;
and its background sweep of uploaded files nobody named."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from appeals_contracts.events import AppealAnswered, AppealSubmitted, VerdictSubmitted
from appeals_intake import handlers
from appeals_intake.adapters import metrics
from appeals_intake.adapters.events import to_command, verdict_given
from appeals_intake.adapters.object_store import ObjectStore
from appeals_intake.adapters.unit_of_work import PostgresUnitOfWork
from appeals_intake.config import IntakeSettings
from appeals_intake.domain.model import Catalog
from appeals_intake.domain.status import TimelineEntry
from appeals_runtime.consumer import Delivery
from appeals_runtime.service import Runtime

log = logging.getLogger(__name__)

#: Topics whose events only add to an appeal's timeline.
PROGRESS_TOPICS = ("appeals.assigned.v1", "appeals.answered.v1", "appeals.deadlines.v1", "appeals.inspections.v1")


def subscribe_all(runtime: Runtime, catalog: Catalog, settings: IntakeSettings) -> None:
    async def on_appeals_intake(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        commands = [
            to_command(d.event, correlation_id=d.envelope.correlation_id or str(d.envelope.id),
                       context=d.trace_context)
            for d in deliveries if isinstance(d.event, AppealSubmitted)
        ]
        await handlers.submit_appeals(uow, commands, catalog=catalog, now=runtime.clock.now(),
                                      **settings.registration())
        await handlers.verdicts_from_channels(
            uow, [verdict_given(d.event) for d in deliveries if isinstance(d.event, VerdictSubmitted)],
            token_secret=settings.token_secret(), now=runtime.clock.now(),
            window=timedelta(days=settings.verdict_window_days))

    async def on_progress(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
        entries = []
        photos = []
        for delivery in deliveries:
            appeal_id = getattr(delivery.event, "appeal_id", None)
            if appeal_id is None or delivery.envelope.type in handlers.NOT_IN_TIMELINE:
                continue
            if isinstance(answer := delivery.event, AppealAnswered):
                photos += [(answer.appeal_id, a.attachment_id, answer.employee_id) for a in answer.attachments]
            details = handlers.timeline_details(delivery.envelope.type, delivery.event.model_dump(mode="json"))
            entries.append((appeal_id, TimelineEntry(str(delivery.envelope.id), delivery.envelope.type,
                                                     delivery.envelope.time, details)))
        await handlers.record_progress(uow, entries)
        await handlers.link_answer_photos(uow, photos)

    runtime.consumer.subscribe_batch(runtime.broker, "appeals.intake.v1", on_appeals_intake)
    runtime.consumer.subscribe_batch(runtime.broker, PROGRESS_TOPICS, on_progress, name="progress")


async def sweep_orphan_attachments(runtime: Runtime, *, store: ObjectStore, ttl: timedelta, batch_size: int) -> bool:
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
