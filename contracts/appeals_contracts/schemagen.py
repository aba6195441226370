"""Generate the committed JSON Schemas and check compatibility against them.

``python -m appeals_contracts.schemagen`` writes ``schemas/<type>.v<version>.schema.json``
for every event at its current schema version. Files of older versions stay: they are the
history the upcasters answer for. ``python -m appeals_contracts.schemagen --check`` fails
when a model changed incompatibly with its committed schema.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from appeals_contracts.envelope import Envelope
from appeals_contracts.registry import EVENT_TYPES
from appeals_contracts.upcasting import UPCASTERS

SCHEMA_DIR = Path(__file__).parent / "schemas"
_IGNORED_KEYS = {"description", "title", "default", "examples"}


def schema_file(event_type: str, version: int) -> Path:
    return SCHEMA_DIR / f"{event_type}.v{version}.schema.json"


def current_schemas() -> dict[Path, dict[str, Any]]:
    """Every event model's schema at its current version, plus the envelope's."""
    out = {SCHEMA_DIR / "envelope.schema.json": Envelope.model_json_schema()}
    for event_type, model in sorted(EVENT_TYPES.items()):
        schema = model.model_json_schema()
        schema["x-event-type"] = event_type
        schema["x-schema-version"] = model.schema_version
        out[schema_file(event_type, model.schema_version)] = schema
    return out


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            return _resolve(root.get("$defs", {})[name], root)
        return {k: _resolve(v, root) for k, v in schema.items() if k not in _IGNORED_KEYS}
    if isinstance(schema, list):
        return [_resolve(v, root) for v in schema]
    return schema


def incompatibilities(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """Reasons ``new`` breaks readers or writers of ``old`` (empty when compatible).

    Allowed: adding optional fields, editing descriptions. Refused: removing or retyping
    a field, making a field required that was not.
    """
    old_r, new_r = _resolve(old, old), _resolve(new, new)
    return _diff(old_r, new_r, path)


def _diff(old: dict[str, Any], new: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        where = f"{path}{name}"
        if name not in new_props:
            problems.append(f"{where}: removed")
            continue
        new_prop = new_props[name]
        old_obj, new_obj = _object_branch(old_prop), _object_branch(new_prop)
        if old_obj is not None and new_obj is not None and _rest(old_prop) == _rest(new_prop):
            problems += _diff(old_obj, new_obj, f"{where}.")
        elif old_prop != new_prop:
            problems.append(f"{where}: type changed from {json.dumps(old_prop)} to {json.dumps(new_prop)}")
    for name in sorted(set(new.get("required", ())) - set(old.get("required", ()))):
        problems.append(f"{path}{name}: newly required")
    return problems


def _object_branch(prop: dict[str, Any]) -> dict[str, Any] | None:
    """The object schema of a property, directly or as the one object branch of an anyOf."""
    if "properties" in prop:
        return prop
    objects = [b for b in prop.get("anyOf", ()) if isinstance(b, dict) and "properties" in b]
    return objects[0] if len(objects) == 1 else None


def _rest(prop: dict[str, Any]) -> Any:
    """A property with its object branch left out, to compare what surrounds it."""
    if "properties" in prop:
        return None
    return [b for b in prop.get("anyOf", ()) if not (isinstance(b, dict) and "properties" in b)]


def check() -> list[str]:
    """All problems between the models and the committed schemas."""
    problems: list[str] = []
    for path, schema in current_schemas().items():
        if not path.exists():
            problems.append(f"{path.name}: not committed (run `make schemas`)")
            continue
        committed = json.loads(path.read_text("utf-8"))
        problems += [f"{path.name}: {p}" for p in incompatibilities(committed, schema)]
    for path in SCHEMA_DIR.glob("*.v*.schema.json"):
        event_type, version = path.name.removesuffix(".schema.json").rsplit(".v", 1)
        model = EVENT_TYPES.get(event_type)
        if model is None:
            problems.append(f"{path.name}: event type no longer defined")
        elif int(version) < model.schema_version and (event_type, int(version)) not in UPCASTERS:
            problems.append(f"{path.name}: no upcaster from version {version}")
    return problems


def write() -> list[Path]:
    """Write current schemas, refusing to overwrite one with an incompatible change."""
    problems = [p for p in check() if "not committed" not in p]
    if problems:
        raise SystemExit("incompatible changes; bump the schema version and add an upcaster:\n" + "\n".join(problems))
    written = []
    for path, schema in current_schemas().items():
        text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report incompatibilities")
    args = parser.parse_args()
    if args.check:
        problems = check()
        print("\n".join(problems) or "schemas compatible")
        sys.exit(1 if problems else 0)
    for path in write():
        print(f"wrote {path.relative_to(SCHEMA_DIR.parent.parent)}")


if __name__ == "__main__":
    main()
