"""Intake's in-memory unit of work, shared by the handlers' tests and checked two ways: mypy checks
it against the handlers' ``UnitOfWork`` protocol (tests/style), and the repository's cases run
against it and against PostgreSQL (test_repository_both_ways)."""

from __future__ import annotations

import uuid
from dataclasses import replace

from datetime import UTC, datetime

from appeals_intake import handlers
from appeals_intake.bootstrap import catalog_from_reference
from appeals_intake.domain.duplicates import Candidate
from appeals_intake.domain.model import Appeal, Contact, SubmitAppeal
from appeals_intake.domain.reappeals import Earlier


class FakeAppeals:
    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], Appeal] = {}
        self.counters: dict[int, int] = {}
        self.timeline_rows: list = []
        self.files: dict = {}  # attachment id → (stored, key)
        self.uploaded_at: dict = {}
        self.expiring: set = set()
        self.marks: list = []  # (appeal id, marks, registered at)
        self.links: list = []
        self.verdicts: dict = {}  # (appeal id, answer id) → (resolved, rating, via, at)

    async def add_verdict(self, appeal_id, answer_id, resolved, rating, via, at):
        """None when new, else the ``via`` of the verdict already there (as the table's unique key)."""
        if (appeal_id, answer_id) in self.verdicts:
            return self.verdicts[appeal_id, answer_id][2]
        self.verdicts[appeal_id, answer_id] = (resolved, rating, via, at)
        return None

    def _newest_first(self, appeals):
        return sorted(appeals, key=lambda a: (a.registered_at, a.registration_number), reverse=True)

    async def by_author(self, subject, limit):
        return self._newest_first(a for a in self.by_key.values() if a.submission.author_subject == subject)[:limit]

    async def registered_between(self, start, end, categories, *, before, limit):
        found = [a for a in self._newest_first(self.by_key.values()) if start <= a.registered_at <= end
                 and (not categories or a.submission.category in categories)
                 and (before is None or (a.registered_at, a.registration_number) < before)]
        return found[:limit]

    async def find_by_channel_keys(self, keys):
        return {k: self.by_key[k] for k in keys if k in self.by_key}

    async def allocate_numbers(self, year, count):
        first = self.counters.get(year, 0) + 1
        self.counters[year] = first + count - 1
        return first

    async def add(self, appeals):
        """As the table keeps them: the files are the attachments' (by appeal), not the appeal's."""
        for a in appeals:
            assert a.submission.channel_key not in self.by_key
            self.by_key[a.submission.channel_key] = replace(a, attachments=(),
                                                            submission=replace(a.submission, attachments=()))

    async def get_by_number(self, number):
        return next((a for a in self.by_key.values() if a.registration_number == number), None)

    async def add_timeline(self, rows):
        known = {e.event_id for _, e in self.timeline_rows}  # as the table's key: an event once
        for appeal_id, e in rows:
            if e.event_id not in known:
                self.timeline_rows.append((appeal_id, e))
                known.add(e.event_id)

    async def holders(self, appeal_ids):
        found: dict = {}
        for a, e in self.timeline_rows:
            if a in appeal_ids and e.event_type in ("appeal.assigned", "appeal.reopened"):
                found.setdefault(a, set()).add(e.details["executor_code"])
        return found

    async def timeline(self, appeal_id):
        return sorted((e for a, e in self.timeline_rows if a == appeal_id), key=lambda e: (e.occurred_at, e.event_id))

    async def earlier_marks(self, wanted, since):
        """As the table: for each key of each wanted (with a place), the latest appeal since
        ``since`` under that key, category and place; an appeal found by several keys once."""
        found: dict = {}
        for w in wanted:
            if w.place is None:
                continue
            for key in w.keys:
                hits = [(at, a) for a, m, at in self.marks
                        if key in m.keys and m.category == w.category and m.place == w.place and at >= since]
                if not hits:
                    continue
                at, a = max(hits)
                number = next(x.registration_number for x in self.by_key.values() if x.appeal_id == a)
                keys = {key} | (set(found[a].keys) if a in found else set())
                found[a] = Earlier(a, number, at, frozenset(keys), w.category, w.place)
        return list(found.values())

    async def add_marks(self, rows):
        self.marks += rows

    async def add_re_appeals(self, links, at):
        self.links += links

    async def duplicate_candidates(self, probes, since):
        categories = {p.category for p in probes}
        return [Candidate(a.appeal_id, a.registration_number, a.registered_at, a.submission.category,
                          a.submission.location, a.submission.address, True)
                for a in self.by_key.values() if a.submission.category in categories and a.registered_at >= since]

    async def add_duplicate_links(self, links, at):
        self.duplicates = getattr(self, "duplicates", []) + list(links)

    async def add_attachment(self, stored, key, at):
        self.files[stored.ref.attachment_id] = (stored, key)
        self.uploaded_at[stored.ref.attachment_id] = at

    async def uploads_since(self, uploaded_by, since):
        return sum(1 for i, (s, _) in self.files.items() if s.uploaded_by == uploaded_by and self.uploaded_at[i] >= since)

    async def expire_orphans(self, uploaded_before, limit):
        due = sorted((i for i, (s, _) in self.files.items() if s.appeal_id is None and i not in self.expiring
                      and self.uploaded_at[i] < uploaded_before), key=lambda i: self.uploaded_at[i])
        self.expiring.update(due[:limit])
        return [self.files[i][1] for i in sorted(self.expiring, key=lambda i: self.uploaded_at[i])][:limit]

    async def forget_attachments(self, keys):
        for i in [i for i in self.expiring if self.files[i][1] in keys]:
            del self.files[i]
            self.expiring.discard(i)

    async def attachments(self, ids):
        return {i: self.files[i][0] for i in ids if i in self.files and i not in self.expiring}

    async def link_attachments(self, links):
        for appeal_id, i in links:
            stored, key = self.files[i]
            if stored.appeal_id is None:
                self.files[i] = (replace(stored, appeal_id=appeal_id), key)

    async def link_uploads(self, links):
        for appeal_id, i, uploader in links:
            stored, key = self.files[i]
            if stored.appeal_id is None and stored.uploaded_by == uploader and i not in self.expiring:
                self.files[i] = (replace(stored, appeal_id=appeal_id), key)

    async def attachment_key(self, attachment_id):
        return None if attachment_id in self.expiring else self.files.get(attachment_id)

    async def by_numbers(self, numbers):
        return self._newest_first(a for a in self.by_key.values() if a.registration_number in numbers)

    async def by_marks(self, keys, limit):
        ids = {a for a, m, _ in self.marks if set(keys) & set(m.keys)}
        found = [a for a in self.by_key.values() if a.appeal_id in ids]
        return sorted(found, key=lambda a: (a.registered_at, a.registration_number), reverse=True)[:limit]

    async def prepared_answers(self):
        return [answer for _, answer in sorted(getattr(self, "answers", {}).items())]

    async def put_prepared_answer(self, answer, by, at):
        self.answers = {**getattr(self, "answers", {}), answer["code"]: answer}

    async def timelines(self, appeal_ids):
        return {i: entries for i in appeal_ids if (entries := await self.timeline(i))}


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.appeals = FakeAppeals()
        self.announced: list[tuple[str, object]] = []

    def registered(self, appeal):
        self.announced.append(("registered", appeal.registration_number))
        return uuid.uuid4()

    def duplicate(self, appeal, link, at):
        self.announced.append(("duplicate", appeal.registration_number, link.original.registration_number,
                               link.matched_by))
        return uuid.uuid4()

    def re_appeal(self, appeal, link, at):
        self.announced.append(("re_appeal", appeal.registration_number, link.earlier.registration_number,
                               link.matched_by))
        return uuid.uuid4()

    def rejected(self, cmd, reasons, at, *, announce=True):
        if announce:
            self.announced.append(("rejected", cmd.channel_message_id))

    def verdict(self, appeal, judged, resolved, rating, at, comment=None):
        self.announced.append(("verdict", appeal.registration_number, resolved, rating))
        return uuid.uuid4()

    def verdict_refused(self, channel, channel_message_id, reason, at):
        self.announced.append(("verdict_refused", channel_message_id, reason))


# -- what the handlers' tests share ---------------------------------------------------------

CATALOG = catalog_from_reference()
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SECRET = b"x" * 32


def submission(message_id: str, **changes) -> SubmitAppeal:
    base = SubmitAppeal(channel="portal", channel_message_id=message_id, kind="request", category="education",
                        text="Need a kindergarten place for my daughter.", language="kk",
                        citizen=Contact(name="Dana", email="dana@example.kz"))
    return replace(base, **changes)


async def submit(uow, commands):
    return await handlers.submit_appeals(uow, commands, catalog=CATALOG, prefix="OA", now=NOW, token_secret=SECRET)


def _the_fake_stands_for_the_protocol() -> handlers.UnitOfWork:
    """Never called: mypy (tests/style) checks here that the fake has every member of the unit
    of work the handlers declare, with its repositories' too."""
    return FakeUnitOfWork()
