"""Which faults are transient (retry, never dead-letter) and how to describe a fault safely."""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka.errors import KafkaError, KafkaTimeoutError
from pydantic import ValidationError

from appeals_contracts.envelope import safe_errors


class TransientError(Exception):
    """Raise from a handler for a fault that will pass (an upstream is down, a lock timed out)."""


class NotBelieved(ValueError):
    """Raise from a handler for an event that contradicts what the consumer already knows (an
    answer from an executor that does not hold the appeal, a verdict on an answer that does not
    exist): it has no effect and goes to the dead-letter topic with this reason, counted there.
    The reason names codes and ids only, never personal data."""


_TRANSIENT_PG = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.QueryCanceledError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.InterfaceError,
)


def is_transient(exc: BaseException) -> bool:
    """True for faults worth retrying: database or broker unavailable, timeouts, conflicts.

    A Kafka error is transient only when the client says so (``retriable``): a record too
    large for its topic, say, fails the same way every time. A send that timed out (the
    broker unreachable) is worth another try although aiokafka does not mark it so.
    """
    if isinstance(exc, KafkaError):
        return bool(exc.retriable) or isinstance(exc, KafkaTimeoutError)
    return isinstance(exc, (TransientError, ConnectionError, OSError, asyncio.TimeoutError, *_TRANSIENT_PG))


def describe(exc: BaseException, limit: int = 500) -> str:
    """A reason fit for a dead-letter header or a log line: never the offending values.

    Pydantic errors are reduced to field paths and messages (their inputs dropped), since
    the input may be a citizen's personal data.
    """
    if isinstance(exc, ValidationError):
        text = safe_errors(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:limit]
