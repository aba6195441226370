"""The staff console's session rules: who may sign in, how long a sign-in may take, how long a
session lasts. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: A sign-in not finished within this long is forgotten (its state redeems no code after it).
SIGN_IN_TTL = timedelta(minutes=10)
#: The roles the console serves: inspectors, and the akim's office (reports only).
STAFF_ROLES = frozenset({"inspector", "akim_office"})


@dataclass(frozen=True)
class Session:
    """A signed-in staff member's session, as the console keeps it."""

    subject: str
    name: str | None
    roles: frozenset[str]
    executor_code: str | None
    access_token: str
    csrf_token: str
    language: str | None
    refresh_token: str | None = None
    token_expires_at: datetime | None = None


def is_staff(roles: frozenset[str]) -> bool:
    return bool(roles & STAFF_ROLES)


def token_expiry(exp: object) -> datetime | None:
    """When an access token runs out, from its ``exp`` claim (seconds since the epoch); None when
    it names none."""
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    return datetime.fromtimestamp(exp, UTC)


def session_end(now: datetime, session_hours: float, *, token_expires_at: datetime | None,
                renewable: bool) -> datetime:
    """A session lasts ``session_hours``, and never past its access token when there is nothing to
    renew that token with (the IdP gave no refresh token)."""
    end = now + timedelta(hours=session_hours)
    if not renewable and token_expires_at is not None:
        end = min(end, token_expires_at)
    return end
