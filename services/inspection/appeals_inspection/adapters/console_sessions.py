"""The console's sign-ins in flight, its sessions and each staff member's language, in
inspection's database. Cookies carry random values; the tables keep only their SHA-256."""

from __future__ import annotations

import hashlib
from datetime import datetime

import asyncpg

from appeals_inspection.domain.sessions import SIGN_IN_TTL, Session


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ConsoleStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def begin_sign_in(self, state: str, verifier: str, now: datetime) -> None:
        await self._conn.execute("DELETE FROM console_sign_ins WHERE created_at < $1", now - SIGN_IN_TTL)
        await self._conn.execute(
            "INSERT INTO console_sign_ins (state_sha256, code_verifier, created_at) VALUES ($1, $2, $3)",
            digest(state), verifier, now)

    async def finish_sign_in(self, state: str, now: datetime) -> str | None:
        """The verifier of the sign-in started with ``state``; each state redeems once."""
        return await self._conn.fetchval(
            "DELETE FROM console_sign_ins WHERE state_sha256 = $1 AND created_at >= $2 RETURNING code_verifier",
            digest(state), now - SIGN_IN_TTL)

    async def open_session(self, token: str, *, subject: str, name: str | None, roles: frozenset[str],
                           executor_code: str | None, access_token: str, csrf_token: str, now: datetime,
                           expires_at: datetime, refresh_token: str | None = None,
                           token_expires_at: datetime | None = None) -> None:
        await self._conn.execute("DELETE FROM console_sessions WHERE expires_at < $1", now)
        await self._conn.execute(
            """INSERT INTO console_sessions (session_sha256, subject, name, roles, executor_code, access_token,
                                             csrf_token, created_at, expires_at, refresh_token, token_expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
            digest(token), subject, name, sorted(roles), executor_code, access_token, csrf_token, now, expires_at,
            refresh_token, token_expires_at)

    async def renew_session(self, token: str, *, name: str | None, roles: frozenset[str], executor_code: str | None,
                            access_token: str, refresh_token: str | None, token_expires_at: datetime | None) -> None:
        """The session's tokens renewed by the IdP, with what the new token says of the person."""
        await self._conn.execute(
            """UPDATE console_sessions SET name = $2, roles = $3, executor_code = $4, access_token = $5,
                      refresh_token = $6, token_expires_at = $7 WHERE session_sha256 = $1""",
            digest(token), name, sorted(roles), executor_code, access_token, refresh_token, token_expires_at)

    async def session(self, token: str, now: datetime) -> Session | None:
        row = await self._conn.fetchrow(
            """SELECT s.*, p.language FROM console_sessions s LEFT JOIN console_preferences p USING (subject)
               WHERE s.session_sha256 = $1 AND s.expires_at > $2""", digest(token), now)
        if row is None:
            return None
        return Session(row["subject"], row["name"], frozenset(row["roles"]), row["executor_code"],
                       row["access_token"], row["csrf_token"], row["language"], row["refresh_token"],
                       row["token_expires_at"])

    async def close_session(self, token: str) -> str | None:
        """Forget the session; its refresh token, to end it at the IdP too."""
        return await self._conn.fetchval(
            "DELETE FROM console_sessions WHERE session_sha256 = $1 RETURNING refresh_token", digest(token))

    async def prefer_language(self, subject: str, language: str) -> None:
        await self._conn.execute(
            """INSERT INTO console_preferences (subject, language) VALUES ($1, $2)
               ON CONFLICT (subject) DO UPDATE SET language = EXCLUDED.language""", subject, language)

    async def first_language(self, subject: str, language: str) -> None:
        """The language of a user's first sign-in (the browser's); a choice made later stays."""
        await self._conn.execute(
            "INSERT INTO console_preferences (subject, language) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            subject, language)
