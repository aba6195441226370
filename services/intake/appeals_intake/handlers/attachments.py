"""Photos and documents: uploaded, cleaned, named by an appeal, fetched by those who may, expired."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from appeals_intake.domain import attachments
from appeals_intake.domain.attachments import AttachmentRef, Stored
from appeals_intake.domain.status import summarize
from appeals_intake.handlers.ports import ObjectStore, Refused, UnitOfWork


async def upload_attachment(uow: UnitOfWork, store: ObjectStore, data: bytes, declared_type: str, *,
                            uploaded_by: str, now: datetime, max_bytes: int, quota: int,
                            strip: Callable[[bytes, str], Awaitable[bytes]], new_id: Callable[[], UUID] = uuid4,
                            ) -> AttachmentRef | Refused:
    """Check, clean (an image loses its metadata), store and record one file; it belongs to no
    appeal until a submission names it. The bytes are in the store before the row commits: a
    failed commit leaves an orphan object, never a row without its bytes. A caller who uploaded
    ``quota`` files in the last hour is refused (429) before anything is decoded."""
    if await uow.appeals.uploads_since(uploaded_by, now - timedelta(hours=1)) >= quota:
        return Refused(429, f"at most {quota} files an hour may be uploaded; try again later")
    content_type = declared_type.split(";")[0].strip().lower()
    if problem := attachments.upload_problem(content_type, data, max_bytes):
        status = 415 if "content type" in problem else 413 if "larger" in problem else 422
        return Refused(status, problem)
    if content_type in attachments.IMAGES:
        try:
            data = await strip(data, content_type)
        except ValueError as unreadable:
            return Refused(422, str(unreadable))
    ref = AttachmentRef(new_id(), content_type, len(data), hashlib.sha256(data).hexdigest())
    key = f"attachments/{ref.attachment_id}"
    await store.put(key, data, content_type)
    await uow.appeals.add_attachment(Stored(ref, None, uploaded_by), key, now)
    return ref


async def expire_orphan_attachments(uow: UnitOfWork, *, now: datetime, ttl: timedelta, limit: int) -> list[str]:
    """Files no submission named within ``ttl``: marked expiring (none can be named from now
    on); the storage keys whose bytes are to be deleted, then forgotten."""
    return await uow.appeals.expire_orphans(now - ttl, limit)


async def delete_objects(store: ObjectStore, keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """Delete each object, outside any transaction: (the keys deleted, the names of the faults
    of those that were not). A key not deleted stays expiring and is tried again next round."""
    deleted, faults = [], []
    for key in keys:
        try:
            await store.delete(key)
        except Exception as exc:  # noqa: BLE001 - whatever the store says, the next round tries again
            faults.append(type(exc).__name__)
            continue
        deleted.append(key)
    return deleted, faults


async def attachment_for(uow: UnitOfWork, store: ObjectStore, attachment_id: UUID, *, executor: str | None,
                         staff: bool) -> tuple[AttachmentRef, bytes] | Refused:
    """A file of an appeal, for staff or for the executor holding the appeal (``executor``); a
    file no submission has named yet, for staff only (an operator checks the photo just uploaded
    on a call)."""
    found = await uow.appeals.attachment_key(attachment_id)
    if found is None or (found[0].appeal_id is None and not staff):
        return Refused(404, f"no attachment {attachment_id}")
    stored, key = found
    if not staff and stored.appeal_id is not None:  # (a file of no appeal was refused above)
        holder = summarize(await uow.appeals.timeline(stored.appeal_id)).executor_code
        if executor is None or holder != executor:
            return Refused(403, "only the executor holding the appeal, or staff, may fetch its files")
    data = await store.get(key)
    if data is None:
        return Refused(404, f"attachment {attachment_id} is missing from the store")
    return stored.ref, data
