"""OpenAPI declarations of the refusals routes answer, so the documents list every status code."""

from __future__ import annotations

from typing import Any


def refusal(description: str) -> dict[str, Any]:
    """A JSON refusal with a ``detail`` (a reason, or FastAPI's list of field errors)."""
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"detail": {}}, "required": ["detail"]}}}}


NOT_FOUND = {404: refusal("Not found")}
INVALID = {422: refusal("Refused, with the reason")}
