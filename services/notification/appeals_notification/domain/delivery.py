"""When to try a delivery again, and when an SMS may be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from appeals_contracts.languages import ALMATY


@dataclass(frozen=True)
class DeliveryBackoff:
    """Exponential backoff: ``initial`` doubled per attempt up to ``ceiling``, at most
    ``max_attempts`` attempts in all."""

    initial: timedelta = timedelta(seconds=5)
    ceiling: timedelta = timedelta(minutes=30)
    max_attempts: int = 8

    def next_attempt(self, attempts_made: int, failed_at: datetime) -> datetime | None:
        """When to try again after ``attempts_made`` failed attempts; ``None`` when that was the last."""
        if attempts_made >= self.max_attempts:
            return None
        delay = min(self.initial * (2.0 ** (attempts_made - 1)), self.ceiling)
        return failed_at + delay


@dataclass(frozen=True)
class QuietHours:
    """Non-urgent SMS wait out the night in Almaty (default 22:00–08:00)."""

    start: time = time(22, 0)
    end: time = time(8, 0)

    def is_quiet(self, at: datetime) -> bool:
        local = at.astimezone(ALMATY).time()
        return local >= self.start or local < self.end

    def earliest_send(self, at: datetime, *, urgent: bool) -> datetime:
        """``at`` itself, or for a non-urgent message in quiet hours the morning's end of them."""
        if urgent or not self.is_quiet(at):
            return at
        local = at.astimezone(ALMATY)
        morning = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(morning, self.end, tzinfo=ALMATY).astimezone(at.tzinfo)
