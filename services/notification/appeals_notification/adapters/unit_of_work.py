"""Notification's unit of work: the appeals' facts, the delivery ledger and the outbox."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from appeals_notification.adapters import events
from appeals_notification.adapters.repository import PostgresAppealFacts, PostgresLedger
from appeals_notification.domain.ledger import LedgerRow
from appeals_notification.domain.messages import AppealFacts
from appeals_contracts.topics import REPLY_CHANNELS, outbound_topic
from appeals_runtime.unit_of_work import UnitOfWork


def _reply_channel(channel: str | None) -> str:
    if channel not in REPLY_CHANNELS:
        raise ValueError(f"channel {channel!r} has no replies topic; its replies go by e-mail or SMS")
    return channel


class PostgresUnitOfWork(UnitOfWork):
    appeals: PostgresAppealFacts
    ledger: PostgresLedger

    def bind(self, conn: asyncpg.Connection) -> None:
        self.appeals = PostgresAppealFacts(conn)
        self.ledger = PostgresLedger(conn, self.after_commit)

    def outbound(self, row: LedgerRow, appeal: AppealFacts, at: datetime) -> None:
        self.announce(events.outbound(row, appeal, at), subject=row.appeal_id, time=at,
                      topic=outbound_topic(_reply_channel(appeal.channel)))

    def delivered(self, row: LedgerRow, channel: str, attempts: int, at: datetime) -> None:
        self.announce(events.delivered(row, channel, attempts, at), subject=row.appeal_id, time=at)

    def delivery_failed(self, row: LedgerRow, channel: str, attempts: int, reason: str, at: datetime) -> None:
        self.announce(events.delivery_failed(row, channel, attempts, reason, at), subject=row.appeal_id, time=at)
