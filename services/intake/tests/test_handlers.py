"""The registration use case through a hand-written fake unit of work (no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

from appeals_intake import handlers
from appeals_intake.bootstrap import catalog_from_reference
from appeals_intake.domain.model import Appeal, Contact, SubmitAppeal
from appeals_intake.domain.status_token import status_token

CATALOG = catalog_from_reference()
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
SECRET = b"x" * 32


class FakeAppeals:
    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], Appeal] = {}
        self.counters: dict[int, int] = {}
        self.timeline_rows: list = []

    async def find_by_channel_keys(self, keys):
        return {k: self.by_key[k] for k in keys if k in self.by_key}

    async def allocate_numbers(self, year, count):
        first = self.counters.get(year, 0) + 1
        self.counters[year] = first + count - 1
        return first

    async def add(self, appeals):
        for a in appeals:
            assert a.submission.channel_key not in self.by_key
            self.by_key[a.submission.channel_key] = a

    async def get_by_number(self, number):
        return next((a for a in self.by_key.values() if a.registration_number == number), None)

    async def add_timeline(self, rows):
        self.timeline_rows += rows

    async def timeline(self, appeal_id):
        return [e for a, e in self.timeline_rows if a == appeal_id]


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.appeals = FakeAppeals()
        self.announced: list[tuple[str, object]] = []

    def registered(self, appeal):
        self.announced.append(("registered", appeal.registration_number))
        return uuid.uuid4()

    def rejected(self, cmd, reasons, at, *, announce=True):
        if announce:
            self.announced.append(("rejected", cmd.channel_message_id))


def submission(message_id: str, **changes) -> SubmitAppeal:
    base = SubmitAppeal(channel="portal", channel_message_id=message_id, kind="request", category="education",
                        text="Need a kindergarten place for my daughter.", language="kk",
                        citizen=Contact(name="Dana", email="dana@example.kz"))
    return replace(base, **changes)


async def submit(uow, commands):
    return await handlers.submit_appeals(uow, commands, catalog=CATALOG, prefix="OA", now=NOW, token_secret=SECRET)


async def test_registers_numbers_and_announces():
    uow = FakeUnitOfWork()
    outcomes = await submit(uow, [submission("a"), submission("b")])
    assert [o.appeal.registration_number for o in outcomes] == ["OA-2026-00000001", "OA-2026-00000002"]
    assert uow.announced == [("registered", "OA-2026-00000001"), ("registered", "OA-2026-00000002")]
    assert len(uow.appeals.timeline_rows) == 2


async def test_a_resubmission_returns_the_first_registration_and_announces_nothing():
    uow = FakeUnitOfWork()
    [first] = await submit(uow, [submission("a")])
    uow.announced.clear()
    [again] = await submit(uow, [submission("a", text="Edited text of the same message")])
    assert again.repeated and again.appeal == first.appeal
    assert uow.announced == []


async def test_repeats_inside_one_batch_share_one_registration():
    uow = FakeUnitOfWork()
    outcomes = await submit(uow, [submission("a"), submission("a"), submission("b")])
    assert outcomes[0].appeal == outcomes[1].appeal and outcomes[1].repeated
    assert len(uow.appeals.by_key) == 2


async def test_invalid_submissions_are_rejected_in_place_and_take_no_number():
    uow = FakeUnitOfWork()
    outcomes = await submit(uow, [submission("a"), submission("bad", category="weather"), submission("b")])
    assert isinstance(outcomes[1], handlers.Rejected)
    assert outcomes[1].reasons[0].field == "category"
    assert [o.appeal.registration_number for o in (outcomes[0], outcomes[2])] == ["OA-2026-00000001", "OA-2026-00000002"]
    assert ("rejected", "bad") in uow.announced


async def test_status_of_a_registered_appeal():
    uow = FakeUnitOfWork()
    [outcome] = await submit(uow, [submission("a")])
    view = await handlers.appeal_status(uow, outcome.appeal.registration_number)
    assert view.status.status == "registered"
    assert await handlers.appeal_status(uow, "OA-2026-99999999") is None


def test_timeline_details_never_carry_contact_data():
    details = handlers.timeline_details("appeal.assigned", {"executor_code": "x", "citizen": {"phone": "+7701"}})
    assert details == {"executor_code": "x"}


async def test_the_contact_is_stored_in_canonical_form():
    uow = FakeUnitOfWork()
    cmd = submission("a", citizen=Contact(name="Dana", phone="8 (701) 123-45-67", email="Dana@Example.KZ"))
    [outcome] = await submit(uow, [cmd])
    stored = uow.appeals.by_key[("portal", "a")].submission.citizen
    assert outcome.appeal.submission.citizen == stored
    assert (stored.phone, stored.email) == ("+77011234567", "Dana@example.kz")


async def test_a_citizen_needs_the_status_token_and_a_guess_looks_unknown():
    uow = FakeUnitOfWork()
    [outcome] = await submit(uow, [submission("a")])
    appeal = outcome.appeal
    assert appeal.status_token and len(appeal.status_token) >= 32  # 192 bits, base64url
    number = appeal.registration_number
    assert await handlers.appeal_status(uow, number, token=appeal.status_token, token_secret=SECRET)
    # One character off (never the same character: a token ending in "A" was once "changed" to itself).
    off_by_one = appeal.status_token[:-1] + ("B" if appeal.status_token.endswith("A") else "A")
    for wrong in (None, "", off_by_one, status_token(b"y" * 32, appeal.appeal_id)):
        assert await handlers.appeal_status(uow, number, token=wrong, token_secret=SECRET) is None
    assert status_token(SECRET, appeal.appeal_id) == appeal.status_token, "a repeat gets the same token"
