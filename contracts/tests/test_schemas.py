"""The committed JSON Schemas match the models, and changes stay compatible."""

from __future__ import annotations

import json

from appeals_contracts import schemagen
from appeals_contracts.registry import EVENT_TYPES
from appeals_contracts.topics import TOPICS
from appeals_contracts.upcasting import UPCASTERS, upcast


def test_committed_schemas_are_compatible_with_the_models():
    assert schemagen.check() == []


def test_every_event_type_has_a_committed_schema_and_a_topic():
    committed = {p.name for p in schemagen.SCHEMA_DIR.glob("*.schema.json")}
    for event_type, model in EVENT_TYPES.items():
        assert f"{event_type}.v{model.schema_version}.schema.json" in committed
        assert any(event_type in t.event_types for t in TOPICS.values()), event_type


def test_removing_a_field_is_incompatible():
    old = EVENT_TYPES["appeal.registered"].model_json_schema()
    new = json.loads(json.dumps(old))
    del new["properties"]["registration_number"]
    assert any("registration_number: removed" in p for p in schemagen.incompatibilities(old, new))


def test_retyping_a_field_is_incompatible():
    old = EVENT_TYPES["deadline.closed"].model_json_schema()
    new = json.loads(json.dumps(old))
    new["properties"]["on_time"] = {"type": "string"}
    assert any("on_time: type changed" in p for p in schemagen.incompatibilities(old, new))


def test_a_new_required_field_is_incompatible_but_a_new_optional_one_is_fine():
    old = EVENT_TYPES["appeal.answered"].model_json_schema()
    optional = json.loads(json.dumps(old))
    optional["properties"]["signature"] = {"type": "array"}
    assert schemagen.incompatibilities(old, optional) == []
    required = json.loads(json.dumps(optional))
    required["required"].append("signature")
    assert schemagen.incompatibilities(old, required) == ["signature: newly required"]


def test_nested_model_changes_are_seen():
    old = EVENT_TYPES["appeal.registered"].model_json_schema()
    new = json.loads(json.dumps(old))
    del new["$defs"]["CitizenContact"]["properties"]["iin"]
    assert any("iin: removed" in p for p in schemagen.incompatibilities(old, new))


def test_every_older_committed_version_has_an_upcaster():
    older = [p for p in schemagen.SCHEMA_DIR.glob("*.v*.schema.json")
             if int(p.name.removesuffix(".schema.json").rsplit(".v", 1)[1])
             < EVENT_TYPES[p.name.rsplit(".v", 1)[0]].schema_version]
    assert older, "appeal.submitted v1 is kept as the upcaster's history"
    for path in older:
        event_type, version = path.name.removesuffix(".schema.json").rsplit(".v", 1)
        assert (event_type, int(version)) in UPCASTERS


def test_upcasting_leaves_current_payloads_alone():
    payload = {"channel": "portal", "text": "x"}
    assert upcast("appeal.submitted", 2, 2, payload) == payload
    assert upcast("appeal.submitted", 1, 2, payload) == payload
