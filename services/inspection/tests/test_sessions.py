"""The console's sign-in and session use cases through the in-memory unit of work and identity
provider (no I/O), and the session rules as properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from inspection_fakes import FakeIdentityProvider, FakeUnitOfWork

from appeals_inspection import handlers
from appeals_inspection.domain.sessions import SIGN_IN_TTL, session_end, token_expiry
from appeals_runtime.oidc import SignInFailed

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
INSPECTOR = {"sub": "insp-1", "roles": ["inspector"], "name": "Айгерим Бекова",
             "exp": int((NOW + timedelta(minutes=5)).timestamp())}
CITIZEN = {"sub": "cit-1", "roles": ["citizen"], "exp": int((NOW + timedelta(minutes=5)).timestamp())}


def world() -> tuple[FakeUnitOfWork, FakeIdentityProvider]:
    idp = FakeIdentityProvider()
    idp.people = {"code-inspector": INSPECTOR, "code-citizen": CITIZEN}
    return FakeUnitOfWork(), idp


async def signed_in(uow: FakeUnitOfWork, idp: FakeIdentityProvider, code: str = "code-inspector", *,
                    language: str = "kk", now: datetime = NOW) -> handlers.SignedIn:
    started = await handlers.begin_sign_in(uow, idp, now=now)
    return await handlers.finish_sign_in(uow, idp, code=code, state=started.state, browser_state=started.state,
                                         language=language, session_hours=10, now=now)


async def test_a_staff_member_signs_in_and_the_session_carries_the_token_s_person():
    uow, idp = world()
    done = await signed_in(uow, idp)
    session = await handlers.current_session(uow, idp, done.token, now=NOW)
    assert session is not None and session.subject == "insp-1" and session.roles == {"inspector"}
    assert session.name == "Айгерим Бекова" and session.language == "kk"
    assert done.expires_at == NOW + timedelta(hours=10), "renewable: the session's own length"


async def test_a_state_redeems_once_only_in_its_own_browser_and_in_time():
    uow, idp = world()
    started = await handlers.begin_sign_in(uow, idp, now=NOW)
    with pytest.raises(handlers.SignInRefused) as foreign:
        await handlers.finish_sign_in(uow, idp, code="code-inspector", state=started.state, browser_state="other",
                                      language="ru", session_hours=10, now=NOW)
    assert foreign.value.why == "state"
    late = NOW + SIGN_IN_TTL + timedelta(seconds=1)
    with pytest.raises(handlers.SignInRefused, match="state"):
        await handlers.finish_sign_in(uow, idp, code="code-inspector", state=started.state,
                                      browser_state=started.state, language="ru", session_hours=10, now=late)
    again = await handlers.begin_sign_in(uow, idp, now=NOW)
    await handlers.finish_sign_in(uow, idp, code="code-inspector", state=again.state, browser_state=again.state,
                                  language="ru", session_hours=10, now=NOW)
    with pytest.raises(handlers.SignInRefused):  # redeemed: not twice
        await handlers.finish_sign_in(uow, idp, code="code-inspector", state=again.state, browser_state=again.state,
                                      language="ru", session_hours=10, now=NOW)


async def test_a_code_the_idp_refuses_and_a_person_without_a_staff_role_open_no_session():
    uow, idp = world()
    with pytest.raises(handlers.SignInRefused) as refused:
        await signed_in(uow, idp, "code-forged")
    assert refused.value.why == "idp"
    with pytest.raises(handlers.SignInRefused) as citizen:
        await signed_in(uow, idp, "code-citizen")
    assert citizen.value.why == "not_staff"
    assert uow.console.sessions == {}


async def test_an_unreachable_idp_keeps_no_sign_in():
    uow, idp = world()
    idp.down = True
    with pytest.raises(SignInFailed):
        await handlers.begin_sign_in(uow, idp, now=NOW)
    assert uow.console.sign_ins == {}


async def test_without_a_refresh_token_the_session_ends_with_its_access_token():
    uow, idp = world()
    idp.refreshable = False
    done = await signed_in(uow, idp)
    assert done.expires_at == datetime.fromtimestamp(INSPECTOR["exp"], UTC)
    assert await handlers.current_session(uow, idp, done.token, now=done.expires_at) is None


async def test_a_session_is_renewed_when_due_and_ends_when_the_idp_refuses():
    uow, idp = world()
    done = await signed_in(uow, idp)
    first = await handlers.current_session(uow, idp, done.token, now=NOW)
    assert first is not None
    later = NOW + timedelta(minutes=4, seconds=50)  # within the renewal margin of the 5-minute token
    idp.people["code-inspector"] = {**INSPECTOR, "name": "Айгерим Серікова",
                                    "exp": int((later + timedelta(minutes=5)).timestamp())}
    renewed = await handlers.current_session(uow, idp, done.token, now=later)
    assert renewed is not None and renewed.access_token != first.access_token
    assert renewed.name == "Айгерим Серікова", "the renewed token says who the person is now"
    assert (await handlers.current_session(uow, idp, done.token, now=later)).access_token == renewed.access_token
    idp.disabled.add("insp-1")
    much_later = later + timedelta(minutes=5)
    assert await handlers.current_session(uow, idp, done.token, now=much_later) is None
    assert done.token not in uow.console.sessions, "the IdP ended it: the console forgets it too"


async def test_signing_out_forgets_the_session_and_ends_it_at_the_idp():
    uow, idp = world()
    done = await signed_in(uow, idp)
    refresh = uow.console.sessions[done.token]["refresh_token"]
    await handlers.sign_out(uow, idp, done.token)
    assert await handlers.current_session(uow, idp, done.token, now=NOW) is None
    assert idp.ended == [refresh]
    await handlers.sign_out(uow, idp, done.token)  # again: nothing left to end
    assert idp.ended == [refresh]


async def test_a_chosen_language_outlives_the_next_sign_in_and_an_unknown_one_is_not_kept():
    uow, idp = world()
    await signed_in(uow, idp, language="ru")
    assert await handlers.prefer_language(uow, "insp-1", "en")
    assert not await handlers.prefer_language(uow, "insp-1", "de")
    done = await signed_in(uow, idp, language="kk")
    assert (await handlers.current_session(uow, idp, done.token, now=NOW)).language == "en"


instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC))


@given(now=instants, hours=st.floats(min_value=0.1, max_value=24), token_left=st.integers(-3600, 86_400),
       renewable=st.booleans())
def test_a_session_never_outlasts_its_length_nor_an_unrenewable_token(now, hours, token_left, renewable):
    token_expires = now + timedelta(seconds=token_left)
    end = session_end(now, hours, token_expires_at=token_expires, renewable=renewable)
    assert end <= now + timedelta(hours=hours)
    if not renewable:
        assert end <= token_expires
    else:
        assert end == now + timedelta(hours=hours), "a renewable token does not shorten the session"


@given(st.one_of(st.none(), st.text(max_size=5), st.booleans(), st.integers(0, 4_000_000_000)))
def test_a_token_without_a_numeric_exp_has_no_expiry(exp):
    found = token_expiry(exp)
    if isinstance(exp, int) and not isinstance(exp, bool):
        assert found == datetime.fromtimestamp(exp, UTC)
    else:
        assert found is None
