"""Possible duplicates: ten reports of the same broken pipe. A new appeal of a category that
names a radius is linked to the earliest open appeal of the same category registered within the
window that is that close (great-circle distance), or, when either has no coordinates, at the
same address. Inspectors and the executor see the link; merging is their decision."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from appeals_intake.domain.places import Location

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Candidate:
    appeal_id: UUID
    registration_number: str
    registered_at: datetime
    category: str
    location: Location | None
    address: str | None
    open: bool


@dataclass(frozen=True)
class DuplicateLink:
    appeal_id: UUID
    original: Candidate
    matched_by: str  # location or address
    distance_m: float | None


@dataclass(frozen=True)
class DuplicateProbe:
    """Where to look for a new appeal's possible originals: its category and a box around its
    point (a little larger than the radius), or its normalised address."""

    category: str
    south: float | None
    north: float | None
    west: float | None
    east: float | None
    address: str | None


def normalised_address(address: str | None) -> str | None:
    return " ".join(address.lower().split()) or None if address else None


def probe(new: Candidate, radius_m: float) -> DuplicateProbe:
    if new.location is None:
        return DuplicateProbe(new.category, None, None, None, None, normalised_address(new.address))
    d_lat = math.degrees(radius_m * 1.1 / EARTH_RADIUS_M)
    d_long = d_lat / max(math.cos(math.radians(new.location.lat)), 0.01)
    return DuplicateProbe(new.category, new.location.lat - d_lat, new.location.lat + d_lat,
                          new.location.long - d_long, new.location.long + d_long, normalised_address(new.address))


def distance_m(a: Location, b: Location) -> float:
    """Great-circle distance in metres (haversine on the mean Earth radius)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.long - a.long)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _same_address(a: str | None, b: str | None) -> bool:
    return normalised_address(a) is not None and normalised_address(a) == normalised_address(b)


def original_of(new: Candidate, others: Sequence[Candidate], *, radius_m: float,
                window: timedelta) -> DuplicateLink | None:
    """The earliest open appeal ``new`` may duplicate, and how it matched; ``None`` when none."""
    found: list[tuple[datetime, str, Candidate, str, float | None]] = []
    for c in others:
        if c.appeal_id == new.appeal_id or c.category != new.category or not c.open:
            continue
        if not new.registered_at - window <= c.registered_at <= new.registered_at:
            continue
        if (c.registered_at, c.registration_number) >= (new.registered_at, new.registration_number):
            continue
        if new.location is not None and c.location is not None:
            d = distance_m(new.location, c.location)
            if d <= radius_m:
                found.append((c.registered_at, c.registration_number, c, "location", round(d, 1)))
        elif _same_address(new.address, c.address):
            found.append((c.registered_at, c.registration_number, c, "address", None))
    if not found:
        return None
    _, _, original, how, distance = min(found, key=lambda f: (f[0], f[1]))
    return DuplicateLink(new.appeal_id, original, how, distance)
