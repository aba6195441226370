"""The extra details a category asks for (Open311's service definition attributes), and
their check. Every intake path checks a submission's ``attributes`` the same way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DATATYPES = frozenset({"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"})
STRING_MAX, TEXT_MAX = 500, 4_000

#: A submitted value: one string, or several for a multivaluelist.
Value = str | tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    key: str
    names: Mapping[str, str]


@dataclass(frozen=True)
class FieldDef:
    code: str
    datatype: str
    required: bool
    order: int
    description: Mapping[str, str]
    values: tuple[Choice, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.values)


@dataclass(frozen=True)
class ServiceFields:
    """The fields of each category that asks for any."""

    by_category: Mapping[str, tuple[FieldDef, ...]] = field(default_factory=dict)

    def of(self, category: str) -> tuple[FieldDef, ...]:
        return self.by_category.get(category, ())


def from_reference(items: Mapping[str, Sequence[Mapping[str, Any]]]) -> ServiceFields:
    """Field definitions from the categories' ``fields`` lists; raises ValueError on a bad one."""
    out: dict[str, tuple[FieldDef, ...]] = {}
    for category, raw_fields in items.items():
        defs: list[FieldDef] = []
        for raw in raw_fields:
            d = FieldDef(code=str(raw["code"]), datatype=str(raw["datatype"]), required=bool(raw.get("required")),
                         order=int(raw.get("order", len(defs) + 1)), description=dict(raw.get("description", {})),
                         values=tuple(Choice(str(v["key"]), dict(v.get("names", {}))) for v in raw.get("values", ())))
            if d.datatype not in DATATYPES:
                raise ValueError(f"category {category}: field {d.code} has unknown datatype {d.datatype!r}")
            if d.datatype.endswith("valuelist") and not d.values:
                raise ValueError(f"category {category}: field {d.code} is a list without values")
            defs.append(d)
        if len({d.code for d in defs}) != len(defs):
            raise ValueError(f"category {category}: a field code repeats")
        out[category] = tuple(sorted(defs, key=lambda d: d.order))
    return ServiceFields(out)


def problems(defs: Sequence[FieldDef], given: Mapping[str, Value]) -> list[tuple[str, str]]:
    """(field, why) for each way ``given`` does not fit the category's fields; empty when it
    does. Reasons name the field and the rule, never the value given."""
    reasons: list[tuple[str, str]] = []
    known = {d.code: d for d in defs}
    for code in sorted(set(given) - set(known)):
        reasons.append((f"attributes.{code[:50]}", "this category asks for no such detail"))
    for d in defs:
        value = given.get(d.code)
        if value is None or value == "" or value == ():
            if d.required:
                reasons.append((f"attributes.{d.code}", "required for this category"))
            continue
        if problem := _value_problem(d, value):
            reasons.append((f"attributes.{d.code}", problem))
    return reasons


def _value_problem(d: FieldDef, value: Value) -> str | None:
    if d.datatype == "multivaluelist":
        values = (value,) if isinstance(value, str) else value
        if not set(values) <= d.keys:
            return f"each value must be one of {', '.join(sorted(d.keys))}"
        return None
    if not isinstance(value, str):
        return "takes one value"
    if d.datatype == "singlevaluelist":
        return None if value in d.keys else f"must be one of {', '.join(sorted(d.keys))}"
    if d.datatype == "number":
        try:
            float(value)
        except ValueError:
            return "must be a number"
        return None if value.strip().lower() not in ("nan", "inf", "-inf", "infinity") else "must be a number"
    if d.datatype == "datetime":
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return "must be an ISO 8601 date and time"
        return None if at.tzinfo is not None else "needs a time zone (Z or an offset)"
    if d.datatype == "string":
        return "one line of at most 500 characters" if "\n" in value or len(value) > STRING_MAX else None
    return f"at most {TEXT_MAX} characters" if len(value) > TEXT_MAX else None
