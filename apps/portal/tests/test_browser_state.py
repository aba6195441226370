"""What the portal keeps in a browser: sealed sessions, CSRF tokens bound to the browser, and
rate limits that hold no contact."""

from __future__ import annotations

import time

from appeals_portal.adapters.browser import Keys, new_browser_id
from appeals_portal.adapters.rate_limits import RateLimits

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


def test_submissions_are_limited_per_address_and_per_contact():
    limits = RateLimits(storage="memory://", submit_per_address="3/hour", submit_per_contact="2/day",
                        lookup_per_address="2/minute", key=b"k")
    assert limits.submit("10.0.0.1", ["+77011234567"]) is None
    assert limits.submit("10.0.0.2", ["+77011234567"]) is None
    wait = limits.submit("10.0.0.3", ["+77011234567 "])  # the same contact from a third address
    assert wait is not None and wait > 0
    assert limits.submit("10.0.0.3", ["a@example.kz"]) is None  # the refused attempt cost nothing
    assert limits.submit("10.0.0.1", []) is None
    assert limits.submit("10.0.0.1", []) is None
    assert limits.submit("10.0.0.1", []) is not None
    assert limits.lookup("10.0.0.9") is None and limits.lookup("10.0.0.9") is None
    assert limits.lookup("10.0.0.9") is not None
    assert "+7701" not in repr(limits._limiter.storage.__dict__)
