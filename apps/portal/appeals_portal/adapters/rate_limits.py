"""Rate limits per client address and per contact, counted by the `limits` library (in this
process's memory by default; a shared store such as Redis for several replicas). A contact is
counted under its keyed hash, so the counts hold no phone number or e-mail address."""

from __future__ import annotations

import hashlib
import hmac
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class RateLimits:
    def __init__(self, *, storage: str, submit_per_address: str, submit_per_contact: str,
                 lookup_per_address: str, key: bytes) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage))
        self._submit_address = parse(submit_per_address)
        self._submit_contact = parse(submit_per_contact)
        self._lookup_address = parse(lookup_per_address)
        self._key = key

    def _contact(self, contact: str) -> str:
        return hmac.new(self._key, contact.strip().casefold().encode(), hashlib.sha256).hexdigest()

    def submit(self, address: str, contacts: list[str]) -> int | None:
        """None when a submission may go; otherwise the seconds until it may. Counted only when
        it may go, so a refused attempt costs nothing of the next window."""
        checks = [(self._submit_address, ("submit", "address", address))]
        checks += [(self._submit_contact, ("submit", "contact", self._contact(c))) for c in contacts if c.strip()]
        return self._take(checks)

    def lookup(self, address: str) -> int | None:
        return self._take([(self._lookup_address, ("lookup", "address", address))])

    def _take(self, checks) -> int | None:
        for limit, keys in checks:
            if not self._limiter.test(limit, *keys):
                reset, _ = self._limiter.get_window_stats(limit, *keys)
                return max(int(reset - time.time()), 1)
        for limit, keys in checks:
            self._limiter.hit(limit, *keys)
        return None
