"""The one clock of every service: the real time, shifted by ``CLOCK_OFFSET_S``.

Tests and demos move a service's "now" with the offset (a deadline falls due without
waiting days); production leaves it at zero. Everything that reads the time takes a
:class:`Clock`, so a test can also hand in a fixed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Clock:
    """``now()`` is the current UTC time plus ``offset_s`` seconds."""

    offset_s: float = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_s)

    def __call__(self) -> datetime:
        return self.now()


@dataclass(frozen=True)
class FixedClock(Clock):
    """A clock that always answers ``at`` (tests)."""

    at: datetime = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at
