"""What one of the people's applications keeps in a browser, and nowhere else (it has no
database): the citizen's portal today, the executors' workspace and the operators' desk next.

- a signed-in user's session: the IdP's access token, its refresh token and the name, sealed
  (Fernet: AES-128-CBC with HMAC-SHA256) in a ``__Host-`` cookie that lasts the session (the
  access token renewed before it runs out; without a refresh token, the session ends with it);
- the sign-in's state and PKCE verifier for the minutes of the round trip to the IdP, sealed;
- a random browser id, to which each form's CSRF token is bound (an HMAC under the key).

Every replica with the same secret reads every cookie; each application names its cookies
after itself (:class:`CookieNames`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken



@dataclass(frozen=True)
class CookieNames:
    """One application's cookies: ``CookieNames("portal")`` → ``__Host-portal-session`` …"""

    app: str

    @property
    def session(self) -> str:
        return f"__Host-{self.app}-session"

    @property
    def sign_in(self) -> str:
        return f"__Host-{self.app}-sign-in"

    @property
    def browser(self) -> str:
        return f"__Host-{self.app}-browser"

    @property
    def language(self) -> str:
        return f"{self.app}-lang"


@dataclass(frozen=True)
class Session:
    """A signed-in person: the token's subject, name, the token itself, and (for staff and
    executors' employees) the token's roles and executor."""

    subject: str
    name: str | None
    access_token: str
    expires_at: float
    roles: frozenset[str] = frozenset()
    executor_code: str | None = None
    refresh_token: str | None = None
    #: When the session ends whatever the tokens say (the application's SESSION_HOURS).
    until: float = 0.0


class Keys:
    """Seals and signs with keys derived from the one secret (a different key per use)."""

    def __init__(self, secret: str) -> None:
        def derive(purpose: bytes) -> bytes:
            return hmac.new(secret.encode(), purpose, hashlib.sha256).digest()

        self._fernet = Fernet(base64.urlsafe_b64encode(derive(b"open-appeals/portal/seal/v1")))
        self._csrf = derive(b"open-appeals/portal/csrf/v1")

    def seal(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()

    def open(self, sealed: str | None, *, max_age_s: int) -> dict[str, Any] | None:
        """The sealed value, or None when absent, forged, or older than ``max_age_s``."""
        if not sealed:
            return None
        try:
            value = json.loads(self._fernet.decrypt(sealed.encode(), ttl=max_age_s))
        except (InvalidToken, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def session(self, sealed: str | None, *, now: float, max_age_s: int) -> Session | None:
        value = self.open(sealed, max_age_s=max_age_s)
        if value is None or not isinstance(value.get("exp"), int | float) or value["exp"] <= now:
            return None
        until = value.get("until", value["exp"])
        if not isinstance(until, int | float) or until <= now:
            return None
        listed = value.get("roles")
        roles = listed if isinstance(listed, list) else []
        executor, refresh = value.get("executor_code"), value.get("refresh")
        return Session(str(value.get("sub", "")), value.get("name"), str(value.get("token", "")), float(value["exp"]),
                       frozenset(str(r) for r in roles), executor if isinstance(executor, str) else None,
                       refresh if isinstance(refresh, str) else None, float(until))

    def csrf_token(self, browser_id: str) -> str:
        return hmac.new(self._csrf, browser_id.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, browser_id: str | None, token: str | None) -> bool:
        return bool(browser_id) and hmac.compare_digest(self.csrf_token(browser_id or "").encode(),
                                                        (token or "").encode("utf-8", "replace"))


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)
