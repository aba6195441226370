"""Where an appeal is: a point (WGS 84) inside the city, and the district it falls in.

The city supplies its district boundaries as GeoJSON (a FeatureCollection of Polygons or
MultiPolygons whose ``properties.code`` is a district code of the reference data). With them,
a point outside every district is refused and a point without a district gets the one it lies
in. Without them, a point is checked against the city's bounding box only and the district is
what the citizen or operator gave.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shapely import Point, prepare
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Location:
    lat: float
    long: float


@dataclass(frozen=True)
class BoundingBox:
    """The city's extent in degrees: the only check of a point when no boundaries are loaded."""

    south: float
    west: float
    north: float
    east: float

    def covers(self, p: Location) -> bool:
        return self.south <= p.lat <= self.north and self.west <= p.long <= self.east


#: Almaty and its edges, generously (the city grew in 2014 and 2022).
ALMATY = BoundingBox(south=43.05, west=76.60, north=43.45, east=77.20)


class BoundariesInvalid(ValueError):
    """A boundaries file that cannot be used; the message names the feature and why."""


class DistrictMap:
    """District boundaries: which district a point lies in (point in polygon)."""

    def __init__(self, districts: Mapping[str, BaseGeometry]) -> None:
        self._districts = dict(districts)
        for geometry in self._districts.values():
            prepare(geometry)

    @classmethod
    def from_geojson(cls, document: Mapping[str, Any], known: frozenset[str]) -> DistrictMap:
        """Read a FeatureCollection; every feature must be a (Multi)Polygon of a known district."""
        if document.get("type") != "FeatureCollection" or not isinstance(document.get("features"), list):
            raise BoundariesInvalid("district boundaries must be a GeoJSON FeatureCollection")
        districts: dict[str, BaseGeometry] = {}
        for i, feature in enumerate(document["features"]):
            code = (feature.get("properties") or {}).get("code")
            if code not in known:
                raise BoundariesInvalid(f"feature {i}: properties.code {code!r} is not a district of the reference data")
            try:
                geometry = shape(feature["geometry"])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise BoundariesInvalid(f"feature {i} ({code}): unreadable geometry ({exc})") from None
            if geometry.geom_type not in ("Polygon", "MultiPolygon") or not geometry.is_valid or geometry.is_empty:
                raise BoundariesInvalid(f"feature {i} ({code}): needs a valid, non-empty Polygon or MultiPolygon")
            districts[code] = geometry if code not in districts else districts[code].union(geometry)
        if not districts:
            raise BoundariesInvalid("district boundaries name no district")
        return cls(districts)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self._districts)

    def district_of(self, p: Location) -> str | None:
        """The district ``p`` lies in (its boundary counts as inside), or ``None`` outside them all.
        Where two polygons touch, the first in code order wins, so the answer is stable."""
        point = Point(p.long, p.lat)  # GeoJSON order: x = longitude, y = latitude
        for code in sorted(self._districts):
            if self._districts[code].covers(point):
                return code
        return None


@dataclass(frozen=True)
class Places:
    """What intake knows of the city's geography."""

    area: BoundingBox = ALMATY
    districts: DistrictMap | None = None

    def problem(self, p: Location) -> str | None:
        """Why ``p`` cannot be an appeal's place, or ``None``."""
        if not self.area.covers(p):
            return "lies outside the city"
        if self.districts is not None and self.districts.district_of(p) is None:
            return "lies outside every district of the city"
        return None

    def district_of(self, p: Location) -> str | None:
        return self.districts.district_of(p) if self.districts is not None else None


def bounding_box(values: Sequence[float]) -> BoundingBox:
    """``south,west,north,east`` as a box; raises ValueError when it is not one."""
    if len(values) != 4:
        raise ValueError("give four numbers: south,west,north,east")
    south, west, north, east = values
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise ValueError("south < north within ±90 and west < east within ±180")
    return BoundingBox(south, west, north, east)
