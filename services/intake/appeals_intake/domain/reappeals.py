"""Re-appeals: the same citizen writing again about the same matter (same category and
place) within a period, recorded as a re-appeal of the earlier appeal.

The citizen is recognised by keyed hashes (HMAC-SHA256 under the platform's secret) of the
IIN, the phone (E.164) and the e-mail address, and the place by the district or, without
one, a keyed hash of the address: the link keeps no plain personal data, and without the
secret the hashes cannot be reversed by trying every IIN.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from appeals_intake.domain.model import Appeal, SubmitAppeal


@dataclass(frozen=True)
class Marks:
    """What identifies a citizen and a place, hashed: ``(kind, hex)`` keys and the place."""

    keys: tuple[tuple[str, str], ...]  # ("iin" | "phone" | "email", keyed hash)
    category: str
    place: str | None                 # "district:<code>" or "address:<keyed hash>"


@dataclass(frozen=True)
class Earlier:
    """An earlier appeal that may be the one written about again."""

    appeal_id: UUID
    registration_number: str
    registered_at: datetime
    keys: frozenset[tuple[str, str]]
    category: str
    place: str | None


@dataclass(frozen=True)
class ReAppeal:
    appeal_id: UUID
    earlier: Earlier
    matched_by: str  # iin, phone or email
    knowingly: bool = False  # named by the operator with the caller on the line


def _keyed(secret: bytes, kind: str, value: str) -> str:
    return hmac.new(secret, f"open-appeals/citizen/v1\n{kind}\n{value}".encode(), hashlib.sha256).hexdigest()


def link_key(secret: bytes) -> bytes:
    """The key of the hashes, derived from the platform's secret (never used for anything else)."""
    return hmac.new(secret, b"open-appeals/citizen-link-key/v1", hashlib.sha256).digest()


def caller_keys(key: bytes, *, iin: str | None = None, phone: str | None = None,
                email: str | None = None) -> tuple[tuple[str, str], ...]:
    """The keyed hashes a caller's IIN, phone (E.164) and e-mail (normalised) are kept under,
    to find their earlier appeals without keeping or comparing any in clear."""
    return tuple((kind, _keyed(key, kind, value.strip().lower())) for kind, value in
                 (("iin", iin), ("phone", phone), ("email", email)) if value and value.strip())


def marks(appeal: Appeal, key: bytes) -> Marks | None:
    """The appeal's marks; ``None`` for an anonymous appeal (nobody to recognise)."""
    return marks_of(appeal.submission, key)


def marks_of(s: SubmitAppeal, key: bytes) -> Marks | None:
    """A submission's marks (see :func:`marks`)."""
    contact = s.citizen
    if s.anonymous or contact is None:
        return None
    keys = caller_keys(key, iin=contact.iin, phone=contact.phone, email=contact.email)
    if not keys:
        return None
    if s.district:
        place = f"district:{s.district}"
    elif s.address and s.address.strip():
        place = "address:" + _keyed(key, "address", " ".join(s.address.lower().split()))
    else:
        place = None
    return Marks(keys, s.category, place)


#: The strongest match first: the IIN names one person, a phone or an e-mail may be shared.
_STRENGTH = {"iin": 0, "phone": 1, "email": 2}


def shared_key(mine: Marks | None, theirs: Marks | None) -> str | None:
    """The strongest key two appeals' citizens share (``iin``, ``phone``, ``email``), if any:
    an operator may link a caller's earlier appeal knowingly only when it is the caller's."""
    if mine is None or theirs is None:
        return None
    shared = [kind for kind, value in mine.keys if (kind, value) in theirs.keys]
    return min(shared, key=_STRENGTH.__getitem__) if shared else None


def re_appeal_of(appeal: Appeal, mine: Marks, earlier: Sequence[Earlier], period: timedelta) -> ReAppeal | None:
    """The most recent earlier appeal of the same citizen, category and place within
    ``period`` before this one, and what matched; ``None`` when there is none."""
    if mine.place is None:
        return None
    candidates = []
    for e in earlier:
        if e.appeal_id == appeal.appeal_id or e.category != mine.category or e.place != mine.place:
            continue
        if not appeal.registered_at - period <= e.registered_at <= appeal.registered_at:
            continue
        if (e.registered_at, e.registration_number) >= (appeal.registered_at, appeal.registration_number):
            continue  # only an earlier one (in one batch: an earlier number)
        shared = [kind for kind, value in mine.keys if (kind, value) in e.keys]
        if shared:
            candidates.append((e.registered_at, e.registration_number, min(shared, key=_STRENGTH.__getitem__), e))
    if not candidates:
        return None
    _, _, matched_by, found = max(candidates, key=lambda c: (c[0], c[1]))
    return ReAppeal(appeal.appeal_id, found, matched_by)


def link_batch(marked: Sequence[tuple[Appeal, Marks]], earlier: Sequence[Earlier],
               period: timedelta) -> list[ReAppeal]:
    """The re-appeals among a batch of new appeals, given the stored ``earlier`` ones. Keeps the
    most recent appeal per (key, category, place), the stored ones first, then the batch's own
    in registration order, so each appeal is compared with at most one appeal per key."""
    latest: dict[tuple[str, str, str, str | None], Earlier] = {}

    def remember(e: Earlier) -> None:
        for kind, digest in e.keys:
            slot = (kind, digest, e.category, e.place)
            if slot not in latest or (latest[slot].registered_at, latest[slot].registration_number) < (
                    e.registered_at, e.registration_number):
                latest[slot] = e

    for e in earlier:
        remember(e)
    links = []
    for appeal, mine in sorted(marked, key=lambda am: (am[0].registered_at, am[0].registration_number)):
        found = [latest[slot] for kind, digest in mine.keys
                 if (slot := (kind, digest, mine.category, mine.place)) in latest]
        if (link := re_appeal_of(appeal, mine, found, period)) is not None:
            links.append(link)
        remember(Earlier(appeal.appeal_id, appeal.registration_number, appeal.registered_at, frozenset(mine.keys),
                         mine.category, mine.place))
    return links
