"""The unit of work over one asyncpg transaction: repository plus outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from appeals_intake.adapters import events
from appeals_intake.adapters.repository import PostgresAppealRepository
from appeals_intake.domain.model import Appeal, Reason, SubmitAppeal
from appeals_runtime.outbox import OutboxMessage, enqueue


class PostgresUnitOfWork:
    """Collects announcements and writes them to the outbox in the caller's transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.appeals = PostgresAppealRepository(conn)
        self._messages: list[OutboxMessage] = []

    def registered(self, appeal: Appeal) -> UUID:
        envelope = events.registered_envelope(appeal)
        self._messages.append(OutboxMessage(envelope, key=str(appeal.appeal_id),
                                            trace_context=appeal.submission.context))  # type: ignore[arg-type]
        return envelope.id

    def rejected(self, cmd: SubmitAppeal, reasons: Sequence[Reason], at: datetime) -> None:
        envelope = events.rejected_envelope(cmd, list(reasons), at)
        self._messages.append(OutboxMessage(envelope, key=events.channel_key(cmd.channel, cmd.channel_message_id),
                                            trace_context=cmd.context))  # type: ignore[arg-type]

    async def flush(self) -> None:
        """Write the collected messages to the outbox (same transaction)."""
        await enqueue(self.conn, self._messages)
        self._messages = []
