"""Attachments through the in-memory unit of work and object store (no I/O): the quota, cleaning,
belonging to the appeal that names a file, expiry of files nobody named, and who may fetch them."""

from __future__ import annotations

import uuid
from datetime import timedelta

from appeals_intake import handlers
from appeals_intake.domain.status import TimelineEntry
from intake_fakes import NOW, FakeUnitOfWork, submission, submit


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    async def put(self, key, data, content_type):
        self.objects[key] = data

    async def get(self, key):
        return self.objects.get(key)

    async def delete(self, key):
        self.objects.pop(key, None)


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


async def strip(data, content_type):
    return data[:8] + b"clean"


async def upload(uow, store, data=PNG, content_type="image/png", *, quota=60, now=NOW):
    return await handlers.upload_attachment(uow, store, data, content_type, uploaded_by="portal-1", now=now,
                                            max_bytes=1000, quota=quota, strip=strip)


async def test_a_caller_over_the_hourly_quota_is_refused_before_anything_is_decoded():
    uow, store = FakeUnitOfWork(), MemoryStore()
    for _ in range(3):
        assert isinstance(await upload(uow, store, quota=3), handlers.AttachmentRef)
    refused = await upload(uow, store, quota=3)
    assert refused.status == 429 and "3 files an hour" in refused.reason and len(store.objects) == 3
    assert isinstance(await upload(uow, store, quota=3, now=NOW + timedelta(hours=1, seconds=1)), handlers.AttachmentRef)


async def test_files_nobody_named_in_time_are_removed_and_can_no_longer_be_named():
    uow, store = FakeUnitOfWork(), MemoryStore()
    named, orphan = await upload(uow, store), await upload(uow, store)
    [done] = await submit(uow, [submission("o-1", attachments=(named.attachment_id,))])
    assert isinstance(done, handlers.Registered)
    later = NOW + timedelta(days=2)
    keys = await handlers.expire_orphan_attachments(uow, now=later, ttl=timedelta(days=1), limit=10)
    assert keys == [f"attachments/{orphan.attachment_id}"]
    [late] = await submit(uow, [submission("o-2", attachments=(orphan.attachment_id,))])
    assert isinstance(late, handlers.Rejected)  # expiring: as if it never existed
    deleted, faults = await handlers.delete_objects(store, keys)
    await uow.appeals.forget_attachments(deleted)
    assert faults == [] and list(store.objects) == [f"attachments/{named.attachment_id}"]
    assert list(uow.appeals.files) == [named.attachment_id]


async def test_an_upload_is_cleaned_stored_and_then_belongs_to_the_appeal_that_names_it():
    uow, store = FakeUnitOfWork(), MemoryStore()
    ref = await upload(uow, store)
    assert isinstance(ref, handlers.AttachmentRef) and ref.content_type == "image/png" and ref.size == 13
    assert store.objects[f"attachments/{ref.attachment_id}"].endswith(b"clean")
    [first] = await submit(uow, [submission("m-1", attachments=(ref.attachment_id,))])
    assert first.appeal.attachments == (ref,)
    [repeat] = await submit(uow, [submission("m-1", attachments=(ref.attachment_id,))])
    assert repeat.repeated and repeat.appeal.appeal_id == first.appeal.appeal_id
    [other] = await submit(uow, [submission("m-2", attachments=(ref.attachment_id,))])
    assert [r.message for r in other.reasons] == ["an attachment already belongs to another appeal"]
    [unknown] = await submit(uow, [submission("m-3", attachments=(uuid.uuid4(),))])
    assert unknown.reasons[0].field == "attachments" and "unknown attachment" in unknown.reasons[0].message


async def test_two_submissions_of_one_batch_cannot_share_a_file():
    uow, store = FakeUnitOfWork(), MemoryStore()
    ref = await upload(uow, store)
    a, b = await submit(uow, [submission("b-1", attachments=(ref.attachment_id,)),
                              submission("b-2", attachments=(ref.attachment_id,))])
    assert isinstance(a, handlers.Registered) and isinstance(b, handlers.Rejected)


async def test_uploads_are_refused_with_the_status_that_says_why():
    uow, store = FakeUnitOfWork(), MemoryStore()
    assert (await upload(uow, store, content_type="text/html")).status == 415
    assert (await upload(uow, store, data=PNG * 100)).status == 413
    assert (await upload(uow, store, data=b"%PDF-1.7 ...")).status == 422  # declared png, bytes are a pdf
    assert store.objects == {}


async def test_only_staff_and_the_executor_holding_the_appeal_fetch_its_files():
    uow, store = FakeUnitOfWork(), MemoryStore()
    ref = await upload(uow, store)
    pending = await handlers.attachment_for(uow, store, ref.attachment_id, executor="medeu_akimat", staff=False)
    assert pending.status == 404  # belongs to no appeal yet: no executor holds it
    assert (await handlers.attachment_for(uow, store, ref.attachment_id, executor=None, staff=True))[0] == ref
    [done] = await submit(uow, [submission("f-1", attachments=(ref.attachment_id,))])
    await uow.appeals.add_timeline([(done.appeal.appeal_id, TimelineEntry(
        str(uuid.uuid4()), "appeal.assigned", NOW, {"executor_code": "medeu_akimat"}))])
    holder = await handlers.attachment_for(uow, store, ref.attachment_id, executor="medeu_akimat", staff=False)
    assert holder[0] == ref and holder[1].endswith(b"clean")
    stranger = await handlers.attachment_for(uow, store, ref.attachment_id, executor="turksib_akimat", staff=False)
    assert stranger.status == 403
    assert (await handlers.attachment_for(uow, store, ref.attachment_id, executor=None, staff=True))[0] == ref


async def test_an_answers_photos_belong_to_its_appeal_only_when_the_answering_employee_uploaded_them():
    uow, store = FakeUnitOfWork(), MemoryStore()
    mine = await upload(uow, store)  # uploaded by "portal-1"
    theirs = await upload(uow, store)
    appeal_id = uuid.uuid4()
    await handlers.link_answer_photos(uow, [(appeal_id, mine.attachment_id, "portal-1"),
                                            (appeal_id, theirs.attachment_id, "someone-else")])
    assert uow.appeals.files[mine.attachment_id][0].appeal_id == appeal_id
    assert uow.appeals.files[theirs.attachment_id][0].appeal_id is None
