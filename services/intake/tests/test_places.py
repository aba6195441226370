"""Places: a point inside the city, the district it lies in, and the boundaries file."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals_contracts.reference import load_reference
from appeals_intake.bootstrap import catalog_from_reference
from appeals_intake.config import IntakeSettings
from appeals_intake.domain.model import Contact, SubmitAppeal
from appeals_intake.domain.places import ALMATY, BoundariesInvalid, DistrictMap, Location, Places
from appeals_intake.domain.validation import normalised, validate
from appeals_runtime.clock import Clock

FIXTURE = Path(__file__).parent / "fixtures" / "districts.FIXTURE.geojson"
DISTRICTS = load_reference().districts.codes
MAP = DistrictMap.from_geojson(json.loads(FIXTURE.read_text()), DISTRICTS)
CATALOG = catalog_from_reference(Places(ALMATY, MAP))
NO_MAP = catalog_from_reference()
OK = SubmitAppeal(channel="contact_centre", channel_message_id="cc-1", kind="complaint", category="road_repair",
                  text="Large pothole near the school on Abai avenue.", language="ru",
                  citizen=Contact(name="Aigerim", phone="+77011234567"))
IN_BOSTANDYK = Location(43.20, 76.95)  # the fixture's rectangle 76.9-77.0 E, 43.15-43.25 N


def test_the_fixture_covers_every_district_once():
    assert MAP.codes == DISTRICTS


def test_a_point_gets_the_district_it_lies_in():
    assert MAP.district_of(IN_BOSTANDYK) == "bostandyk"
    assert MAP.district_of(Location(43.30, 76.75)) == "alatau"
    assert MAP.district_of(Location(43.40, 76.75)) is None  # north of every rectangle


@given(lat=st.floats(43.15, 43.35), long=st.floats(76.70, 77.10))
def test_every_point_of_the_fixture_lies_in_exactly_the_district_of_its_rectangle(lat, long):
    found = MAP.district_of(Location(lat, long))
    assert found in DISTRICTS
    column = min(int((long - 76.70) / 0.1), 3)
    row = "north" if lat > 43.25 else "south"
    expected = {"north": ["alatau", "zhetysu", "turksib", "medeu"],
                "south": ["nauryzbay", "auezov", "bostandyk", "almaly"]}[row][column]
    on_an_edge = min(abs((long - 76.70) / 0.1 - round((long - 76.70) / 0.1)), abs(lat - 43.25)) < 1e-9
    assert found == expected or on_an_edge  # where rectangles touch, the first code wins


@given(lat=st.floats(-90, 90), long=st.floats(-180, 180))
def test_a_point_outside_the_city_is_refused_and_never_echoed(lat, long):
    cmd = replace(OK, location=Location(lat, long))
    reasons = validate(cmd, CATALOG)
    inside = ALMATY.covers(cmd.location) and MAP.district_of(cmd.location) is not None
    assert (reasons == []) == inside
    for r in reasons:
        assert str(lat) not in r.message and str(long) not in r.message


def test_a_location_without_a_district_gets_one_and_a_contradicting_district_is_refused():
    cmd = replace(OK, location=IN_BOSTANDYK)
    assert validate(cmd, CATALOG) == []
    assert normalised(cmd, CATALOG).district == "bostandyk"
    assert normalised(replace(cmd, district="bostandyk"), CATALOG).district == "bostandyk"
    [reason] = validate(replace(cmd, district="medeu"), CATALOG)
    assert reason.field == "district" and "bostandyk" in reason.message


def test_without_boundaries_only_the_city_area_is_checked_and_the_district_stays_as_given():
    cmd = replace(OK, location=Location(43.40, 76.75))  # in the city's box, outside the fixture
    assert validate(cmd, NO_MAP) == []
    assert normalised(cmd, NO_MAP).district is None
    assert [r.field for r in validate(replace(OK, location=Location(51.13, 71.43)), NO_MAP)] == ["location"]  # Astana


@pytest.mark.parametrize(("document", "problem"), [
    ({"type": "Feature"}, "FeatureCollection"),
    ({"type": "FeatureCollection", "features": []}, "no district"),
    ({"type": "FeatureCollection", "features": [{"properties": {"code": "astana"}, "geometry": {}}]}, "astana"),
    ({"type": "FeatureCollection", "features": [
        {"properties": {"code": "medeu"}, "geometry": {"type": "Point", "coordinates": [77.0, 43.2]}}]}, "Polygon"),
    ({"type": "FeatureCollection", "features": [{"properties": {"code": "medeu"}, "geometry": {"type": "Polygon"}}]},
     "unreadable"),
])
def test_unusable_boundaries_are_refused_with_the_feature_named(document, problem):
    with pytest.raises(BoundariesInvalid, match=problem):
        DistrictMap.from_geojson(document, DISTRICTS)


def test_the_settings_load_the_file_and_refuse_a_bad_one(tmp_path):
    places = IntakeSettings(districts_geojson=str(FIXTURE)).places(DISTRICTS)
    assert places.district_of(IN_BOSTANDYK) == "bostandyk"
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="DISTRICTS_GEOJSON"):
        IntakeSettings(districts_geojson=str(bad)).places(DISTRICTS)
    with pytest.raises(ValueError, match="CITY_AREA"):
        IntakeSettings(city_area="43,77,42,78").places(DISTRICTS)


@given(lat=st.floats(43.0, 43.5), long=st.floats(76.6, 77.2), d_lat=st.floats(-0.01, 0.01), d_long=st.floats(-0.01, 0.01))
def test_the_distance_is_symmetric_zero_to_itself_and_about_111_km_per_degree(lat, long, d_lat, d_long):
    from appeals_intake.domain.duplicates import distance_m
    a, b = Location(lat, long), Location(lat + d_lat, long + d_long)
    assert distance_m(a, a) == 0
    assert abs(distance_m(a, b) - distance_m(b, a)) < 1e-6
    assert abs(distance_m(a, Location(lat + d_lat, long)) - abs(d_lat) * 111_195) < 1 + abs(d_lat) * 500


@given(lat=st.floats(43.0, 43.5), long=st.floats(76.6, 77.2), radius=st.floats(5, 500),
       bearing=st.floats(0, 6.283), fraction=st.floats(0, 1))
def test_the_search_box_holds_every_point_within_the_radius(lat, long, radius, bearing, fraction):
    import math

    from appeals_intake.domain.duplicates import EARTH_RADIUS_M, Candidate, distance_m, probe
    from uuid import uuid4
    centre = Location(lat, long)
    d = radius * fraction / EARTH_RADIUS_M  # a point at that distance and bearing
    p_lat = math.asin(math.sin(math.radians(lat)) * math.cos(d)
                      + math.cos(math.radians(lat)) * math.sin(d) * math.cos(bearing))
    p_long = math.radians(long) + math.atan2(math.sin(bearing) * math.sin(d) * math.cos(math.radians(lat)),
                                             math.cos(d) - math.sin(math.radians(lat)) * math.sin(p_lat))
    point = Location(math.degrees(p_lat), math.degrees(p_long))
    assert distance_m(centre, point) <= radius + 1e-6
    box = probe(Candidate(uuid4(), "OA", Clock().now(), "road_repair", centre, None, True), radius)
    assert box.south <= point.lat <= box.north and box.west <= point.long <= box.east
