"""Which faults are transient (retry, never dead-letter) and how to describe a fault safely."""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from appeals_contracts.envelope import safe_errors


class TransientError(Exception):
    """Raise from a handler for a fault that will pass (an upstream is down, a lock timed out)."""


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
    """True for faults worth retrying: database or broker unavailable, timeouts, conflicts."""
    return isinstance(exc, (TransientError, ConnectionError, OSError, asyncio.TimeoutError, KafkaError, *_TRANSIENT_PG))


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
