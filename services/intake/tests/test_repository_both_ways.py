"""Intake's repository, the same cases against the in-memory fake the handlers' tests use and
against its tables: every step is observed through the repository's own reads (appeals by key,
number, author, period and citizen marks, timelines and holders, verdicts, attachments, prepared
answers), and both must observe the same. The fake's rules are then the tables' rules, not a
guess at them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from intake_fakes import FakeAppeals

from appeals_devstack.testing import on_the_tables
from appeals_intake.adapters.repository import PostgresAppealRepository
from appeals_intake.domain.attachments import AttachmentRef, Stored
from appeals_intake.domain.model import Appeal, Contact, SubmitAppeal
from appeals_intake.domain.places import Location
from appeals_intake.domain.reappeals import Marks
from appeals_intake.domain.status import TimelineEntry

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
A, B, C = (uuid.UUID(int=n) for n in range(1, 4))
FILE_1, FILE_2, FILE_3, FILE_4 = (uuid.UUID(int=n) for n in range(11, 15))
ANSWER = uuid.UUID(int=21)


def appeal(appeal_id: uuid.UUID, number: int, minutes: int, *, category: str = "landscaping",
           author: str | None = None, message: str | None = None) -> Appeal:
    submission = SubmitAppeal(channel="portal", channel_message_id=message or f"m-{number}", kind="complaint",
                              category=category, text="A bench is broken.", language="ru", district="almaly",
                              address="Абая, 10", location=Location(43.24, 76.91),
                              attributes={"bench_count": "2", "damage": ("seat", "legs")},
                              citizen=Contact(name="Dana", email="dana@example.kz"), submitted_at=T0,
                              author_subject=author, submitted_by="portal-service", attachments=(FILE_1,))
    return Appeal(appeal_id, f"OA-2026-{number:08d}", T0 + timedelta(minutes=minutes), submission)


def entry(n: int, event_type: str, minutes: int, **details: object) -> TimelineEntry:
    return TimelineEntry(str(uuid.UUID(int=100 + n)), event_type, T0 + timedelta(minutes=minutes), dict(details))


def stored(attachment_id: uuid.UUID, uploader: str = "cit-1") -> Stored:
    return Stored(AttachmentRef(attachment_id, "image/jpeg", 1024, "ab" * 32), None, uploader)


MARKS_A = Marks((("email", "hash-dana"),), "landscaping", "district:almaly")
MARKS_B = Marks((("email", "hash-dana"), ("phone", "hash-phone")), "roads", "district:almaly")


async def _steps(repo) -> list[object]:
    seen: list[object] = []
    seen += [await repo.allocate_numbers(2026, 3), await repo.allocate_numbers(2026, 2),
             await repo.allocate_numbers(2027, 1)]
    await repo.add([appeal(A, 1, 0, author="cit-1"), appeal(B, 2, 10, author="cit-1", category="roads"),
                    appeal(C, 3, 20)])
    seen += [await repo.find_by_channel_keys([("portal", "m-1"), ("portal", "m-9")]),
             await repo.get_by_number("OA-2026-00000002"), await repo.get_by_number("OA-2026-00000009"),
             await repo.by_author("cit-1", 10), await repo.by_author("cit-1", 1),
             await repo.by_numbers(["OA-2026-00000001", "OA-2026-00000003"]),
             await repo.registered_between(T0, T0 + timedelta(hours=1), [], before=None, limit=2),
             await repo.registered_between(T0, T0 + timedelta(hours=1), [],
                                           before=(T0 + timedelta(minutes=10), "OA-2026-00000002"), limit=5),
             await repo.registered_between(T0, T0 + timedelta(hours=1), ["roads"], before=None, limit=5)]

    await repo.add_timeline([(A, entry(2, "appeal.assigned", 5, executor_code="almaly_akimat")),
                             (A, entry(1, "appeal.registered", 0)),
                             (B, entry(3, "appeal.assigned", 15, executor_code="medeu_akimat"))])
    await repo.add_timeline([(A, entry(2, "appeal.assigned", 5, executor_code="almaly_akimat")),  # a redelivery
                             (A, entry(4, "appeal.reopened", 50, executor_code="turksib_akimat"))])
    seen += [await repo.timeline(A), await repo.timelines([A, B, C]), await repo.holders([A, B, C, A])]

    seen += [await repo.add_verdict(A, ANSWER, True, 5, "portal", T0),
             await repo.add_verdict(A, ANSWER, False, 1, "sms", T0 + timedelta(hours=1))]  # the first one stands

    await repo.add_attachment(stored(FILE_1), "key-1", T0)
    await repo.add_attachment(stored(FILE_2), "key-2", T0 + timedelta(minutes=1))
    await repo.add_attachment(stored(FILE_3, "cit-2"), "key-3", T0 + timedelta(minutes=2))
    await repo.add_attachment(stored(FILE_4), "key-4", T0 + timedelta(minutes=3))
    seen.append(await repo.uploads_since("cit-1", T0 + timedelta(seconds=30)))
    await repo.link_uploads([(A, FILE_1, "cit-1"), (A, FILE_3, "cit-1")])  # FILE_3 is someone else's
    await repo.link_attachments([(B, FILE_2), (B, FILE_1)])  # FILE_1 is A's already
    seen += [await repo.attachments([FILE_1, FILE_2, FILE_3, FILE_4]), await repo.attachment_key(FILE_2)]
    seen.append(await repo.expire_orphans(T0 + timedelta(minutes=5), 1))  # the oldest free file first
    seen.append(await repo.expire_orphans(T0 + timedelta(minutes=5), 5))  # with the one marked before
    await repo.link_attachments([(C, FILE_4)])  # expiring: no appeal can take it any more
    seen += [await repo.attachments([FILE_3, FILE_4]), await repo.attachment_key(FILE_3)]
    await repo.forget_attachments(["key-3", "key-1"])  # only an expiring file is forgotten
    seen += [await repo.expire_orphans(T0 + timedelta(minutes=5), 5), await repo.attachment_key(FILE_1)]

    await repo.add_marks([(A, MARKS_A, T0), (B, MARKS_B, T0 + timedelta(minutes=10))])
    seen += [await repo.earlier_marks([MARKS_A], T0 - timedelta(days=1)),
             await repo.earlier_marks([Marks((("email", "hash-dana"),), "landscaping", "district:medeu")],
                                      T0 - timedelta(days=1)),  # another place: not the same problem
             await repo.earlier_marks([MARKS_A], T0 + timedelta(minutes=1)),  # too long ago
             await repo.by_marks([("email", "hash-dana")], 10), await repo.by_marks([("phone", "hash-phone")], 10)]

    await repo.put_prepared_answer({"code": "water_b", "topic": "utilities", "title": {"ru": "Вода"},
                                    "text": {"ru": "Отключение до 18:00."}, "active": True}, "op-1", T0)
    await repo.put_prepared_answer({"code": "heat_a", "topic": "utilities", "title": {"ru": "Тепло"},
                                    "text": {"ru": "С 15 октября."}, "active": True}, "op-1", T0)
    await repo.put_prepared_answer({"code": "water_b", "topic": "utilities", "title": {"ru": "Вода"},
                                    "text": {"ru": "Отключение до 20:00."}, "active": False}, "op-2", T0)
    seen.append(await repo.prepared_answers())
    return seen


async def test_the_fake_and_the_tables_observe_the_same(intake_database: str):
    fake = await _steps(FakeAppeals())
    assert fake[:3] == [1, 4, 1]
    assert list(fake[3]) == [("portal", "m-1")] and fake[4].appeal_id == B and fake[5] is None
    assert [a.appeal_id for a in fake[6]] == [B, A] and [a.appeal_id for a in fake[7]] == [B]
    assert [a.appeal_id for a in fake[8]] == [C, A], "newest first"
    assert [a.appeal_id for a in fake[9]] == [C, B] and [a.appeal_id for a in fake[10]] == [A]
    assert [a.appeal_id for a in fake[11]] == [B]
    assert [e.event_type for e in fake[12]] == ["appeal.registered", "appeal.assigned", "appeal.reopened"]
    assert set(fake[13]) == {A, B} and fake[14] == {A: {"almaly_akimat", "turksib_akimat"}, B: {"medeu_akimat"}}
    assert fake[15:17] == [None, "portal"] and fake[17] == 2
    assert {i: s.appeal_id for i, s in fake[18].items()} == {FILE_1: A, FILE_2: B, FILE_3: None, FILE_4: None}
    assert fake[20:22] == [["key-3"], ["key-3", "key-4"]] and fake[22] == {} and fake[23] is None
    assert fake[24] == ["key-4"] and fake[25][1] == "key-1"
    assert [e.appeal_id for e in fake[26]] == [A] and fake[27] == [] and fake[28] == []
    assert [a.appeal_id for a in fake[29]] == [B, A] and [a.appeal_id for a in fake[30]] == [B]
    assert [(a["code"], a["active"]) for a in fake[31]] == [("heat_a", True), ("water_b", False)]
    tables = await on_the_tables(intake_database, PostgresAppealRepository, _steps)
    for n, (t, f) in enumerate(zip(tables, fake, strict=True)):
        assert t == f, f"step {n}: the tables observe {t!r}, the fake {f!r}"
