"""What the people's applications keep in a browser: sealed sessions and CSRF tokens bound to
the browser."""

from __future__ import annotations

import time

from appeals_runtime.cookies import CookieNames, Keys, new_browser_id

KEY = "k" * 40


def test_a_session_opens_only_with_the_same_key_and_before_it_expires():
    keys = Keys(KEY)
    now = time.time()
    sealed = keys.seal({"sub": "c-1", "name": "Aruzhan", "token": "t", "exp": now + 60})
    assert "Aruzhan" not in sealed and "c-1" not in sealed
    assert keys.session(sealed, now=now, max_age_s=3600).subject == "c-1"
    assert keys.session(sealed, now=now + 61, max_age_s=3600) is None
    assert Keys("o" * 40).session(sealed, now=now, max_age_s=3600) is None
    assert keys.session(sealed[:-2] + "AA", now=now, max_age_s=3600) is None
    assert keys.session(None, now=now, max_age_s=3600) is None


def test_a_csrf_token_belongs_to_one_browser():
    keys, browser = Keys(KEY), new_browser_id()
    token = keys.csrf_token(browser)
    assert keys.csrf_ok(browser, token)
    assert not keys.csrf_ok(new_browser_id(), token)
    assert not keys.csrf_ok(browser, "")
    assert not keys.csrf_ok(None, token)
    assert not keys.csrf_ok(browser, "ü" * 64)


def test_each_application_names_its_own_cookies():
    names = CookieNames("portal")
    assert (names.session, names.sign_in, names.browser, names.language) == (
        "__Host-portal-session", "__Host-portal-sign-in", "__Host-portal-browser", "portal-lang")
