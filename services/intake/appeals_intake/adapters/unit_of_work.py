"""Intake's unit of work: the appeals repository plus the outbox (see appeals_runtime)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from appeals_intake.adapters import events, metrics
from appeals_intake.adapters.repository import PostgresAppealRepository
from appeals_intake.domain.model import Appeal, Reason, SubmitAppeal
from appeals_intake.domain.duplicates import DuplicateLink
from appeals_intake.domain.reappeals import ReAppeal
from appeals_intake.domain.verdict import Judged
from appeals_runtime.unit_of_work import UnitOfWork


class PostgresUnitOfWork(UnitOfWork):
    appeals: PostgresAppealRepository

    def bind(self, conn: asyncpg.Connection) -> None:
        self.appeals = PostgresAppealRepository(conn)

    def registered(self, appeal: Appeal) -> UUID:
        s = appeal.submission
        self.after_commit(metrics.REGISTRATIONS.labels(metrics.channel_label(s.channel)).inc)
        return self.announce(events.registered(appeal), subject=appeal.appeal_id,
                             correlation_id=s.correlation_id or str(appeal.appeal_id), time=appeal.registered_at,
                             trace_context=s.context).id  # type: ignore[arg-type]

    def duplicate(self, appeal: Appeal, link: DuplicateLink, at: datetime) -> UUID:
        return self.announce(events.duplicate(appeal, link, at), subject=appeal.appeal_id, time=at).id

    def re_appeal(self, appeal: Appeal, link: ReAppeal, at: datetime) -> UUID:
        return self.announce(events.re_appeal(appeal, link, at), subject=appeal.appeal_id, time=at).id

    def verdict(self, appeal: Appeal, judged: Judged, resolved: bool, rating: int | None, at: datetime,
                comment: str | None = None) -> UUID:
        return self.announce(events.verdict(appeal, judged, resolved, rating, at, comment), subject=appeal.appeal_id,
                             time=at).id

    def verdict_refused(self, channel: str, channel_message_id: str, reason: str, at: datetime) -> None:
        key = events.channel_key(channel, channel_message_id)
        self.announce(events.verdict_refused(channel, channel_message_id, reason, at), subject=key, key=key, time=at)

    def rejected(self, cmd: SubmitAppeal, reasons: Sequence[Reason], at: datetime, *, announce: bool = True) -> None:
        self.after_commit(metrics.REJECTIONS.labels(metrics.channel_label(cmd.channel)).inc)
        if not announce:  # refused over HTTP: the caller has the reasons in the response
            return
        key = events.channel_key(cmd.channel, cmd.channel_message_id)
        self.announce(events.rejected(cmd, list(reasons), at), subject=key, key=key,
                      correlation_id=cmd.correlation_id, time=at, trace_context=cmd.context)  # type: ignore[arg-type]
