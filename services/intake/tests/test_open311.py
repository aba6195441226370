"""Open311 in intake's terms (pure): the form becomes the ordinary submission, the category's
fields are checked as on every path, and a request shows public fields only."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals_contracts.reference import load_reference
from appeals_intake.bootstrap import catalog_from_reference
from appeals_intake.domain import fields, open311
from appeals_intake.domain.model import Appeal, Reason
from appeals_intake.domain.open311 import Open311Refused
from appeals_intake.domain.places import Location
from appeals_intake.domain.status import TimelineEntry, summarize
from appeals_intake.domain.validation import validate

CATALOG = catalog_from_reference()
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
FORM = [("api_key", "k"), ("service_code", "road_repair"), ("lat", "43.2"), ("long", "76.95"),
        ("attribute[defect]", "pothole"), ("email", "dana@example.org"), ("first_name", "Dana"),
        ("last_name", "Seitkali"), ("description", "A deep pothole near the bus stop.")]


def submit(form=FORM, **overrides):
    return open311.submission(form, client="fms", request_key=overrides.pop("key", "r-1"), language="ru", now=NOW)


def test_a_form_becomes_the_ordinary_submission():
    cmd = submit()
    assert cmd.channel == "open311" and cmd.channel_message_id == "fms:r-1" and cmd.category == "road_repair"
    assert cmd.location == Location(43.2, 76.95) and cmd.attributes == {"defect": "pothole"}
    assert cmd.citizen.name == "Dana Seitkali" and cmd.citizen.email == "dana@example.org" and not cmd.anonymous
    assert validate(cmd, CATALOG) == []


def test_without_any_contact_the_request_is_anonymous_and_routing_applies_the_law():
    cmd = submit([(k, v) for k, v in FORM if k not in ("email", "first_name", "last_name")])
    assert cmd.anonymous and cmd.citizen is None and validate(cmd, CATALOG) == []


@pytest.mark.parametrize(("drop", "add", "problem"), [
    (("service_code",), [], "service_code was not provided"),
    (("lat", "long"), [], "a location is required"),
    (("lat", "long"), [("address_id", "55")], "address_id is not supported"),
    (("long",), [], "lat and long must both be sent"),
    (("lat",), [("lat", "north")], "must be numbers"),
    (("lat",), [("lat", "nan")], "within ±90"),
    (("lat",), [("lat", "91")], "within ±90"),
])
def test_what_only_open311_asks_is_refused_with_400(drop, add, problem):
    form = [(k, v) for k, v in FORM if k not in drop] + add
    with pytest.raises(Open311Refused, match=problem) as refused:
        submit(form)
    assert refused.value.status == 400


def test_multivalue_attributes_and_address_only():
    cmd = submit([(k, v) for k, v in FORM if k not in ("lat", "long")]
                 + [("address_string", "Abai 10"), ("attribute[x][]", "a"), ("attribute[x][]", "b")])
    assert cmd.location is None and cmd.address == "Abai 10" and cmd.attributes["x"] == ("a", "b")
    [reason] = [r for r in validate(cmd, CATALOG) if r.field.startswith("attributes")]
    assert reason.field == "attributes.x"  # road repair asks for no such detail


def test_reasons_are_told_in_open311s_words():
    refused = open311.refusal([Reason("text", "must be 10-10000 characters"), Reason("attributes.defect", "bad"),
                               Reason("citizen.name", "required")], known_service=True)
    assert refused.descriptions == ("description: must be 10-10000 characters", "attribute[defect]: bad",
                                    "first_name/last_name: required")
    assert open311.refusal([Reason("category", "unknown")], known_service=False).status == 400


DEFECT = fields.FieldDef("defect", "singlevaluelist", True, 1, {}, (fields.Choice("pothole", {}),
                                                                   fields.Choice("crack", {})))
DEFS = [DEFECT, fields.FieldDef("lanes", "number", False, 2, {}), fields.FieldDef("seen", "datetime", False, 3, {}),
        fields.FieldDef("tags", "multivaluelist", False, 4, {}, (fields.Choice("a", {}), fields.Choice("b", {}))),
        fields.FieldDef("note", "string", False, 5, {})]


@given(st.dictionaries(st.sampled_from(["defect", "lanes", "seen", "tags", "note", "other"]),
                       st.one_of(st.text(max_size=30), st.tuples(st.sampled_from(["a", "b", "c"])))))
def test_field_problems_name_the_field_and_never_the_value(given):
    for field_path, message in fields.problems(DEFS, given):
        assert field_path.startswith("attributes.")
        for value in given.values():
            if isinstance(value, str) and len(value) > 3:
                assert value not in message


@pytest.mark.parametrize(("given", "fields_refused"), [
    ({"defect": "pothole"}, []),
    ({}, ["attributes.defect"]),
    ({"defect": "volcano"}, ["attributes.defect"]),
    ({"defect": "crack", "lanes": "2.5", "seen": "2026-11-01T08:00:00+05:00", "tags": ("a", "b"), "note": "ok"}, []),
    ({"defect": "crack", "lanes": "many"}, ["attributes.lanes"]),
    ({"defect": "crack", "lanes": "nan"}, ["attributes.lanes"]),
    ({"defect": "crack", "seen": "2026-11-01T08:00:00"}, ["attributes.seen"]),
    ({"defect": "crack", "tags": ("a", "z")}, ["attributes.tags"]),
    ({"defect": "crack", "note": "two\nlines"}, ["attributes.note"]),
    ({"defect": ("pothole", "crack")}, ["attributes.defect"]),
    ({"defect": "crack", "colour": "red"}, ["attributes.colour"]),
])
def test_each_datatype_is_checked(given, fields_refused):
    assert [f for f, _ in fields.problems(DEFS, given)] == fields_refused


def test_the_reference_fields_load_and_a_bad_definition_is_refused():
    assert [f.code for f in CATALOG.fields.of("road_repair")] == ["defect", "lanes_blocked"]
    with pytest.raises(ValueError, match="unknown datatype"):
        fields.from_reference({"x": [{"code": "a", "datatype": "colour"}]})
    with pytest.raises(ValueError, match="without values"):
        fields.from_reference({"x": [{"code": "a", "datatype": "singlevaluelist"}]})


def test_a_request_shows_public_fields_only():
    ref = load_reference()
    appeal = Appeal(uuid4(), "OA-2026-00000042", NOW, replace(submit(), district="bostandyk"))
    timeline = [TimelineEntry("1", "appeal.registered", NOW),
                TimelineEntry("2", "appeal.assigned", NOW + timedelta(seconds=1), {"executor_code": "medeu_akimat"}),
                TimelineEntry("3", "deadline.scheduled", NOW + timedelta(seconds=2),
                              {"due_at": "2026-12-10T18:59:59+00:00"})]
    view = open311.request_view(appeal, summarize(timeline), lang="en",
                                service_names={c: e.names for c, e in ref.categories.entries.items()},
                                executor_names={c: e.names for c, e in ref.executors.entries.items()},
                                district_names={c: e.names for c, e in ref.districts.entries.items()})
    assert view == {"service_request_id": "OA-2026-00000042", "status": "open", "status_notes":
                    "With the responsible executor", "service_name": "Road repair", "service_code": "road_repair",
                    "agency_responsible": ref.executors.entries["medeu_akimat"].names["en"], "service_notice": None,
                    "requested_datetime": "2026-11-25T09:00:00Z", "updated_datetime": "2026-11-25T09:00:02Z",
                    "expected_datetime": "2026-12-10T18:59:59Z", "address": "Bostandyk district"}
    closed = summarize([*timeline, TimelineEntry("4", "deadline.closed", NOW + timedelta(days=1), {"on_time": True})])
    assert open311.request_view(appeal, closed, lang="ru", service_names={}, executor_names={},
                                district_names={})["status"] == "closed"


def test_the_date_window_is_at_most_90_days():
    assert open311.date_range(None, None, NOW) == (NOW - timedelta(days=90), NOW)
    start, end = open311.date_range("2026-11-01T00:00:00Z", None, NOW)
    assert end - start == timedelta(days=90)
    for bad in (("2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"), ("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"),
                ("yesterday", None), ("2026-01-01T00:00:00", None)):
        with pytest.raises(Open311Refused):
            open311.date_range(*bad, NOW)


@pytest.mark.parametrize(("asked", "accept", "expected"), [
    ("kk", None, "kk"), ("EN", "ru", "en"), (None, "fr, kk;q=0.8, ru;q=0.5", "kk"), ("de", "de-DE", "ru"), (None, None, "ru"),
])
def test_the_locale_is_the_asked_one_or_the_first_we_have(asked, accept, expected):
    assert open311.locale(asked, accept, "ru") == expected
