"""Ordered SQL migrations with checksums, one runner per database.

Migration files are named ``NNNN_description.sql`` and live in a package directory.
Each *track* (``runtime`` for the shared outbox and inbox tables, then the service's own)
is applied in order; an applied file whose text changed is an error, not a silent skip.
A transaction-level advisory lock makes concurrent replicas wait for each other, so two
never migrate at once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 7_146_330_001  # arbitrary constant shared by every replica of every service


class MigrationError(RuntimeError):
    """Migrations are inconsistent with what the database already ran."""


@dataclass(frozen=True)
class Migration:
    track: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(track: str, package: str) -> list[Migration]:
    """Migrations of ``track`` found in the ``package`` directory, in order."""
    found = []
    for entry in resources.files(package).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(track, int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{package}: two migrations share a number")
    return found


async def migrate(conn: asyncpg.Connection, migrations: list[Migration]) -> list[str]:
    """Apply what is new, in one transaction under the advisory lock; return applied names."""
    applied: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   track text NOT NULL, version int NOT NULL, name text NOT NULL,
                   checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (track, version))"""
        )
        done = {
            (r["track"], r["version"]): r
            for r in await conn.fetch("SELECT track, version, name, checksum FROM schema_migrations")
        }
        for m in migrations:
            row = done.get((m.track, m.version))
            if row is not None:
                if row["checksum"] != m.checksum:
                    raise MigrationError(
                        f"{m.track}/{m.name} changed after it was applied (checksum differs); "
                        "add a new migration instead of editing an applied one"
                    )
                continue
            await conn.execute(m.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (track, version, name, checksum) VALUES ($1, $2, $3, $4)",
                m.track, m.version, m.name, m.checksum,
            )
            applied.append(f"{m.track}/{m.name}")
    return applied


def runtime_migrations() -> list[Migration]:
    """The shared tables every service has: outbox, inbox, audit trail, kept traces."""
    return discover("runtime", "appeals_runtime.schema")
