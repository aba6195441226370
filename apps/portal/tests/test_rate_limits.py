"""The portal's rate limits: per client address and per contact, holding no contact."""

from __future__ import annotations

from appeals_portal.adapters.rate_limits import RateLimits


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
