"""Photos and documents citizens attach: which kinds are taken, and what an appeal may refer to.

A file is uploaded first (its content type is judged by its bytes, not only by what the
sender says) and referred to by its id in the submission. An image is stored without its
location and device data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

#: What may be attached, by the bytes each kind begins with.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
}
IMAGES = frozenset({"image/jpeg", "image/png"})
MAX_PER_APPEAL = 10


@dataclass(frozen=True)
class AttachmentRef:
    attachment_id: UUID
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Stored:
    """What intake keeps of an uploaded file: its reference and the appeal it belongs to."""

    ref: AttachmentRef
    appeal_id: UUID | None
    uploaded_by: str


def sniffed(data: bytes) -> str | None:
    """The content type the bytes are, among those taken; ``None`` for anything else."""
    for content_type, prefixes in SIGNATURES.items():
        if data.startswith(prefixes):
            return content_type
    return None


def upload_problem(declared: str, data: bytes, max_bytes: int) -> str | None:
    """Why an upload is refused, or ``None``."""
    declared = declared.split(";")[0].strip().lower()
    if declared not in SIGNATURES:
        return f"content type must be one of {', '.join(sorted(SIGNATURES))}"
    if not data:
        return "the file is empty"
    if len(data) > max_bytes:
        return f"the file is larger than {max_bytes} bytes"
    if sniffed(data) != declared:
        return f"the bytes are not {declared}"
    return None


def reference_problems(ids: Sequence[UUID], known: Mapping[UUID, Stored]) -> list[str]:
    """Why a submission may not refer to ``ids``: unknown ones, or files already part of
    another appeal (a file belongs to one appeal)."""
    problems = []
    if len(ids) > MAX_PER_APPEAL:
        problems.append(f"at most {MAX_PER_APPEAL} attachments")
    if len(set(ids)) != len(ids):
        problems.append("an attachment is named twice")
    unknown = [i for i in ids if i not in known]
    if unknown:
        problems.append(f"unknown attachment {unknown[0]}")
    if any(known[i].appeal_id is not None for i in ids if i in known):
        problems.append("an attachment already belongs to another appeal")
    return problems
