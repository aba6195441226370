"""Intake's unit of work over one asyncpg transaction: repository plus outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from appeals_intake.adapters import events
from appeals_intake.adapters.repository import PostgresAppealRepository
from appeals_intake.domain.model import Appeal, Reason, SubmitAppeal
from appeals_runtime.outbox import OutboxBatch


class PostgresUnitOfWork(OutboxBatch):
    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self.appeals = PostgresAppealRepository(conn)

    def registered(self, appeal: Appeal) -> UUID:
        envelope = events.registered_envelope(appeal)
        self.announce(envelope, trace_context=appeal.submission.context)  # type: ignore[arg-type]
        return envelope.id

    def rejected(self, cmd: SubmitAppeal, reasons: Sequence[Reason], at: datetime) -> None:
        self.announce(events.rejected_envelope(cmd, list(reasons), at),
                      key=events.channel_key(cmd.channel, cmd.channel_message_id),
                      trace_context=cmd.context)  # type: ignore[arg-type]
