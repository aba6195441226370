"""Executors' digests: in a surge an executor would get thousands of e-mails, one per
assignment. Their non-urgent messages queued together go as one e-mail instead, in queue
order, at most ``size`` in one; each message in it is delivered (and announced) as itself.
Urgent ones (a deadline approaching) always go alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from appeals_notification.domain.ledger import LedgerRow

TEMPLATE = "executor.digest"


@dataclass(frozen=True)
class DigestPolicy:
    size: int = 50  # messages in one digest at most; 1: no digests
    period: timedelta = timedelta(0)  # how long a digestible message waits for others to join it

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError("a digest holds at least one message")


def digestible(row: LedgerRow) -> bool:
    return row.audience == "executor" and not row.urgent


def group(rows: Sequence[LedgerRow]) -> list[list[LedgerRow]]:
    """The claimed rows as messages to send: digestible rows of one recipient together (in the
    order claimed, which is queue order), every other row alone."""
    groups: list[list[LedgerRow]] = []
    by_recipient: dict[str, list[LedgerRow]] = {}
    for row in rows:
        if digestible(row) and row.recipient:
            if row.recipient not in by_recipient:
                by_recipient[row.recipient] = []
                groups.append(by_recipient[row.recipient])
            by_recipient[row.recipient].append(row)
        else:
            groups.append([row])
    return groups
