"""What the people's forms share: a coded choice, and a category's extra details (Open311's
attributes: the ``fields`` of the categories' reference data) in the reader's language. Pure.
The citizen's portal and the operators' desk ask for them the same way; intake checks them."""

from __future__ import annotations

from dataclasses import dataclass, field

from appeals_contracts.reference import Reference


@dataclass(frozen=True)
class Choice:
    code: str
    name: str


@dataclass(frozen=True)
class Detail:
    """One extra detail a category asks for (Open311's attribute)."""

    code: str
    datatype: str
    required: bool
    label: str
    values: list[Choice] = field(default_factory=list)

    @property
    def form_name(self) -> str:
        return f"attr_{self.code}"


def details_of(reference: Reference, category: str, language: str) -> list[Detail]:
    """The category's details in their order, labelled in ``language``; none for an unknown one."""
    entry = reference.categories.entries.get(category)
    if entry is None:
        return []
    fields = entry.attributes.get("fields") or []
    assert isinstance(fields, list)
    return [Detail(f["code"], f.get("datatype", "string"), bool(f.get("required")),
                   (f.get("description") or {}).get(language, f["code"]),
                   [Choice(v["key"], v["names"][language]) for v in f.get("values") or []])
            for f in sorted(fields, key=lambda f: f.get("order", 0))]
