"""The one retry policy of the platform (on tenacity): exponential backoff for faults that
pass, used by the consumers, the start-up and the outbox relay alike."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_never,
    wait_exponential,
)

from appeals_runtime.errors import is_transient

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Try up to ``attempts`` times (``None``: until it works), waiting ``initial_s``, then
    twice as long each time, at most ``max_s``, between attempts; retry only what ``when``
    accepts (transient faults by default) and re-raise anything else at once."""

    attempts: int | None = 5
    initial_s: float = 0.2
    max_s: float = 5.0
    when: Callable[[BaseException], bool] = is_transient

    def retrying(self, what: str, *, on_retry: Callable[[BaseException], None] | None = None,
                 sleep: Callable[[float], Awaitable[object]] | None = None) -> AsyncRetrying:
        """A tenacity ``AsyncRetrying`` for ``async for attempt in ...: with attempt: ...``;
        the last fault is re-raised when the attempts run out."""

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if exc is None:
                return
            if on_retry is not None:
                on_retry(exc)
            log.warning("%s: %s (attempt %d%s); retrying", what, type(exc).__name__, state.attempt_number,
                        f"/{self.attempts}" if self.attempts else "")

        stop = stop_after_attempt(self.attempts) if self.attempts else stop_never
        wait = wait_exponential(multiplier=self.initial_s, min=self.initial_s, max=self.max_s)
        if sleep is not None:
            wakeable = sleep

            async def sleeping(seconds: float) -> None:  # what it answers (woken early or not) is not needed here
                await wakeable(seconds)

            return AsyncRetrying(stop=stop, wait=wait, retry=retry_if_exception(self.when),
                                 before_sleep=before_sleep, reraise=True, sleep=sleeping)
        return AsyncRetrying(stop=stop, wait=wait, retry=retry_if_exception(self.when),
                             before_sleep=before_sleep, reraise=True)

    async def call(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        """``await fn()`` under this policy."""
        async for attempt in self.retrying(what):
            with attempt:
                return await fn()
        raise AssertionError("unreachable")
