"""The console's sessions, the same cases against the in-memory fake the handlers' tests use and
against inspection's tables: after every step both answer the same. The fake's rules are then the
tables' rules, not a guess at them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from inspection_fakes import FakeConsoleSessions

from appeals_devstack.testing import on_the_tables
from appeals_inspection.adapters.console_sessions import ConsoleStore
from appeals_inspection.domain.sessions import SIGN_IN_TTL

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


async def _steps(store) -> list[object]:
    """What the store answers along a day of sign-ins and sessions."""
    seen: list[object] = []
    await store.begin_sign_in("state-1", "verifier-1", NOW)
    await store.begin_sign_in("state-2", "verifier-2", NOW)
    seen.append(await store.finish_sign_in("state-1", NOW + timedelta(minutes=1)))
    seen.append(await store.finish_sign_in("state-1", NOW + timedelta(minutes=1)))  # once only
    seen.append(await store.finish_sign_in("state-2", NOW + SIGN_IN_TTL + timedelta(seconds=1)))  # too late
    seen.append(await store.finish_sign_in("state-unknown", NOW))
    await store.begin_sign_in("state-3", "verifier-3", NOW + SIGN_IN_TTL + timedelta(minutes=1))  # forgets state-2
    seen.append(await store.finish_sign_in("state-2", NOW))

    await store.open_session("cookie-a", subject="insp-1", name="Айгерим", roles=frozenset({"inspector"}),
                             executor_code=None, access_token="at-1", csrf_token="csrf-a", now=NOW, expires_at=LATER,
                             refresh_token="rt-1", token_expires_at=NOW + timedelta(minutes=5))
    await store.open_session("cookie-b", subject="akim-1", name=None, roles=frozenset({"akim_office", "inspector"}),
                             executor_code=None, access_token="at-2", csrf_token="csrf-b", now=NOW,
                             expires_at=NOW + timedelta(minutes=5))
    await store.first_language("insp-1", "kk")
    await store.first_language("insp-1", "ru")  # a first sign-in's language only once
    seen.append(await store.session("cookie-a", NOW))
    seen.append(await store.session("cookie-b", NOW + timedelta(minutes=5)))  # ended at its expiry
    seen.append(await store.session("cookie-unknown", NOW))
    await store.prefer_language("insp-1", "en")  # a choice outlives the first one
    await store.renew_session("cookie-a", name="Айгерим Серікова", roles=frozenset({"inspector", "akim_office"}),
                              executor_code=None, access_token="at-3", refresh_token="rt-2",
                              token_expires_at=NOW + timedelta(minutes=10))
    seen.append(await store.session("cookie-a", NOW + timedelta(minutes=6)))
    # opening a session forgets the ended ones: cookie-b cannot be closed any more
    await store.open_session("cookie-c", subject="insp-2", name=None, roles=frozenset({"inspector"}),
                             executor_code=None, access_token="at-4", csrf_token="csrf-c", now=LATER,
                             expires_at=LATER + timedelta(hours=1))
    seen.append(await store.close_session("cookie-b"))
    seen.append(await store.close_session("cookie-a"))
    seen.append(await store.close_session("cookie-a"))
    seen.append(await store.session("cookie-c", LATER))
    return seen


async def test_the_fake_and_the_tables_answer_the_same(inspection_database: str):
    fake = await _steps(FakeConsoleSessions())
    assert fake[:5] == ["verifier-1", None, None, None, None]
    assert fake[5].language == "kk" and fake[5].roles == {"inspector"} and fake[6] is None and fake[7] is None
    assert fake[8].name == "Айгерим Серікова" and fake[8].language == "en" and fake[8].access_token == "at-3"
    assert fake[9:12] == [None, "rt-2", None] and fake[12].subject == "insp-2"
    tables = await on_the_tables(inspection_database, ConsoleStore, _steps)
    assert tables == fake
