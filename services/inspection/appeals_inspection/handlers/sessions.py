"""The staff console's sign-in and session: the authorization code flow with PKCE, the session
opened on a verified token and renewed before that token runs out, signing out (at the IdP too),
and the language remembered for the user. The entrypoint only carries cookies and pages."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from appeals_inspection.domain.sessions import Session, is_staff, session_end, token_expiry
from appeals_inspection.handlers.ports import IdentityProvider, UnitOfWork
from appeals_runtime.auth import Unauthenticated
from appeals_runtime.i18n import LANGUAGES
from appeals_runtime.oidc import SignInFailed, new_state, new_verifier
from appeals_runtime.pages import due_for_renewal


@dataclass(frozen=True)
class SignInStarted:
    """The browser goes to ``target``; ``state`` binds the sign-in to it (its cookie)."""

    state: str
    target: str


@dataclass(frozen=True)
class SignedIn:
    """A session opened: its cookie's ``token``, until ``expires_at``, for a person with ``roles``."""

    token: str
    expires_at: datetime
    roles: frozenset[str]


class SignInRefused(Exception):
    """``state``: not this browser's sign-in (or an old one); ``idp``: the IdP refused the code or
    its token did not verify; ``not_staff``: a person the console does not serve. The message is
    for the log and never carries a token."""

    def __init__(self, why: Literal["state", "idp", "not_staff"], detail: str) -> None:
        super().__init__(detail)
        self.why = why


async def begin_sign_in(uow: UnitOfWork, idp: IdentityProvider, *, now: datetime) -> SignInStarted:
    """A new state and PKCE verifier, the verifier kept here; raises ``SignInFailed`` when the IdP
    cannot be reached (nothing is kept then)."""
    state, verifier = new_state(), new_verifier()
    target = await idp.authorization_url(state, verifier)
    await uow.console.begin_sign_in(state, verifier, now)
    return SignInStarted(state, target)


async def finish_sign_in(uow: UnitOfWork, idp: IdentityProvider, *, code: str, state: str, browser_state: str,
                         language: str, session_hours: float, now: datetime) -> SignedIn:
    """The IdP's redirect back: ``state`` must be this browser's (``browser_state``, its cookie)
    and redeems once; the code redeems with the kept verifier, and the access token must verify
    and name a staff role. ``language``: the browser's, remembered unless the person chose one."""
    verifier = None
    if code and state and browser_state and hmac.compare_digest(browser_state.encode(), state.encode()):
        verifier = await uow.console.finish_sign_in(state, now)
    if verifier is None:
        raise SignInRefused("state", "unknown or foreign state")
    try:
        grant = await idp.exchange(code, verifier)
        caller = await idp.verify(grant.access_token)
    except (SignInFailed, Unauthenticated) as refused:
        raise SignInRefused("idp", str(refused)) from None
    if not is_staff(caller.roles):
        raise SignInRefused("not_staff", "no staff role")
    token_expires = token_expiry(caller.claims.get("exp"))
    expires = session_end(now, session_hours, token_expires_at=token_expires,
                          renewable=grant.refresh_token is not None)
    token = secrets.token_urlsafe(32)
    name = caller.claims.get("name")
    await uow.console.open_session(token, subject=caller.subject, name=name if isinstance(name, str) else None,
                                   roles=caller.roles, executor_code=caller.executor_code,
                                   access_token=grant.access_token, csrf_token=secrets.token_urlsafe(32), now=now,
                                   expires_at=expires, refresh_token=grant.refresh_token,
                                   token_expires_at=token_expires)
    await uow.console.first_language(caller.subject, language)
    return SignedIn(token, expires, caller.roles)


async def current_session(uow: UnitOfWork, idp: IdentityProvider, token: str, *, now: datetime) -> Session | None:
    """The session of the cookie's ``token``, its access token renewed with its refresh token when
    that is due; None when there is none, it has ended, or the IdP refuses to renew (the user was
    disabled, or the session ended there: the console's session is then forgotten too)."""
    session = await uow.console.session(token, now)
    if (session is None or session.refresh_token is None or session.token_expires_at is None
            or not due_for_renewal(session.token_expires_at.timestamp(), now.timestamp())):
        return session
    renewal = await idp.renew(session.refresh_token, subject=session.subject)
    if renewal is None:
        await uow.console.close_session(token)
        return None
    caller, grant = renewal
    name = caller.claims.get("name")
    renewed = replace(session, name=name if isinstance(name, str) else None, roles=caller.roles,
                      executor_code=caller.executor_code, access_token=grant.access_token,
                      refresh_token=grant.refresh_token or session.refresh_token,
                      token_expires_at=token_expiry(caller.claims.get("exp")))
    await uow.console.renew_session(token, name=renewed.name, roles=renewed.roles,
                                    executor_code=renewed.executor_code, access_token=renewed.access_token,
                                    refresh_token=renewed.refresh_token, token_expires_at=renewed.token_expires_at)
    return renewed


async def sign_out(uow: UnitOfWork, idp: IdentityProvider, token: str) -> None:
    """The session forgotten here, and ended at the IdP too when it was renewable there."""
    refresh_token = await uow.console.close_session(token)
    if refresh_token:
        await idp.end_session(refresh_token)


async def prefer_language(uow: UnitOfWork, subject: str, language: str) -> bool:
    """Remembered for the person (the token's subject), on every device; False for a language the
    console does not speak."""
    if language not in LANGUAGES:
        return False
    await uow.console.prefer_language(subject, language)
    return True
