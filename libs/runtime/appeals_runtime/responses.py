"""OpenAPI declarations of the refusals routes answer, so the documents list every status code."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def refusal(description: str) -> dict[str, Any]:
    """A JSON refusal with a ``detail`` (a reason, or FastAPI's list of field errors)."""
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"detail": {}}, "required": ["detail"]}}}}


#: A route's ``responses=``: status code → its OpenAPI description.
Responses = dict[int | str, dict[str, Any]]

NOT_FOUND: Responses = {404: refusal("Not found")}
INVALID: Responses = {422: refusal("Refused, with the reason")}


def inline_schema(model: type[BaseModel], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """``model``'s JSON Schema with every ``$ref`` replaced by the definition it names, for a
    route that reads its body itself (``openapi_extra``): the document then refers to nothing it
    lacks. ``optional`` fields are left out of ``required`` (the route fills them in)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolved(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolved(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {k: resolved(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolved(v) for v in node]
        return node

    inlined = resolved(schema)
    if "required" in inlined:
        inlined["required"] = [f for f in inlined["required"] if f not in optional]
    return dict(inlined)
