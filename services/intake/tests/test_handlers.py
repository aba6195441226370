"""The registration use case through a hand-written fake unit of work (no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from functools import partial

import pytest

from appeals_intake import handlers
from appeals_intake.domain.model import Contact, SubmitAppeal
from appeals_intake.domain.status import TimelineEntry
from appeals_intake.domain.status_token import status_token
from appeals_runtime.errors import NotBelieved
from intake_fakes import CATALOG, NOW, SECRET, FakeUnitOfWork, submission, submit

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


async def test_an_idempotency_key_belongs_to_its_sender():
    uow = FakeUnitOfWork()
    [first] = await submit(uow, [replace(submission("tg-1"), submitted_by="operator-1")])
    [own] = await submit(uow, [replace(submission("tg-1"), submitted_by="operator-1")])
    assert own.repeated and own.appeal == first.appeal
    [foreign] = await submit(uow, [replace(submission("tg-1", text="Another text"), submitted_by="operator-2")])
    assert isinstance(foreign, handlers.Conflict) and not hasattr(foreign, "appeal")
    [batch_first, batch_foreign] = await submit(uow, [replace(submission("tg-2"), submitted_by="adapter-a"),
                                                      replace(submission("tg-2"), submitted_by="adapter-b")])
    assert isinstance(batch_first, handlers.Registered) and isinstance(batch_foreign, handlers.Conflict)


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


IIN = "900101300007"


async def submit_at(uow, commands, now):
    return await handlers.submit_appeals(uow, commands, catalog=CATALOG, prefix="OA", now=now, token_secret=SECRET)


async def test_the_same_citizen_on_the_same_matter_is_a_re_appeal_recognised_without_plain_data():
    uow = FakeUnitOfWork()
    citizen = Contact(name="Dana", iin=IIN, email="dana@example.kz")
    first = submission("r-1", citizen=citizen, category="road_repair", district="medeu")
    [a] = await submit_at(uow, [first], NOW)
    other_phone = Contact(name="D.", iin=IIN, phone="+77011234567")
    [b] = await submit_at(uow, [submission("r-2", citizen=other_phone, category="road_repair", district="medeu")],
                          NOW + timedelta(days=10))
    elsewhere, other_topic = await submit_at(uow, [
        submission("r-3", citizen=citizen, category="road_repair", district="turksib"),
        submission("r-4", citizen=citizen, category="education", district="medeu")], NOW + timedelta(days=11))
    [late] = await submit_at(uow, [submission("r-5", citizen=citizen, category="road_repair", district="medeu")],
                             NOW + timedelta(days=200))
    links = [x for x in uow.announced if x[0] == "re_appeal"]
    assert links == [("re_appeal", b.appeal.registration_number, a.appeal.registration_number, "iin")]
    stored = repr(uow.appeals.marks) + repr(uow.appeals.links)
    for plain in (IIN, "dana@example.kz", "+77011234567", "Dana"):
        assert plain not in stored


async def test_an_anonymous_appeal_and_one_without_a_place_are_never_linked():
    uow = FakeUnitOfWork()
    anonymous = submission("n-1", anonymous=True, citizen=None, reports_crime_or_threat=True)
    await submit_at(uow, [anonymous, anonymous.__class__(**{**anonymous.__dict__, "channel_message_id": "n-2"})], NOW)
    assert uow.appeals.marks == [] and uow.appeals.links == []


async def test_two_appeals_of_one_batch_link_the_later_to_the_earlier():
    uow = FakeUnitOfWork()
    citizen = Contact(name="Dana", email="dana@example.kz")
    a, b = await submit_at(uow, [submission("s-1", citizen=citizen, district="almaly"),
                                 submission("s-2", citizen=citizen, district="almaly")], NOW)
    assert [x[1:] for x in uow.announced if x[0] == "re_appeal"] == [
        (b.appeal.registration_number, a.appeal.registration_number, "email")]


async def test_three_reports_of_one_pothole_link_to_the_first_and_a_far_one_does_not():

    from appeals_intake.domain.places import Location
    uow = FakeUnitOfWork()

    def pothole(message, lat, long, citizen):
        return submission(message, category="road_repair", district="bostandyk", location=Location(lat, long),
                          citizen=Contact(name=citizen, email=f"{citizen}@example.kz"))
    [first] = await submit_at(uow, [pothole("p-1", 43.2000, 76.9500, "a")], NOW)
    near, nearer = await submit_at(uow, [pothole("p-2", 43.2003, 76.9500, "b"),  # ~33 m north
                                         pothole("p-3", 43.2000, 76.9502, "c")], NOW + timedelta(hours=1))  # ~16 m
    [far] = await submit_at(uow, [pothole("p-4", 43.2100, 76.9500, "d")], NOW + timedelta(hours=2))  # ~1.1 km
    [late] = await submit_at(uow, [pothole("p-5", 43.2000, 76.9500, "e")], NOW + timedelta(days=30))
    dupes = [x[1:] for x in uow.announced if x[0] == "duplicate"]
    n = first.appeal.registration_number
    assert dupes == [(near.appeal.registration_number, n, "location"), (nearer.appeal.registration_number, n, "location")]


async def test_without_coordinates_the_same_address_is_a_possible_duplicate_and_personal_matters_never_are():
    uow = FakeUnitOfWork()
    bins = [submission(f"g-{i}", category="garbage_collection", district="auezov", address=address)
            for i, address in enumerate(["Abai avenue 10", "abai  AVENUE 10", "Abai avenue 12"])]
    a, b, c = await submit_at(uow, bins, NOW)
    aid = [submission(f"s-{i}", category="social_aid", address="Abai avenue 10") for i in range(2)]
    await submit_at(uow, aid, NOW)
    assert [x[1:] for x in uow.announced if x[0] == "duplicate"] == [
        (b.appeal.registration_number, a.appeal.registration_number, "address")]


def timeline_entry(appeal: uuid.UUID, event_type: str, executor: str) -> tuple:
    return appeal, TimelineEntry(str(uuid.uuid4()), event_type, NOW, {"executor_code": executor})


async def test_the_timeline_believes_an_answer_only_from_an_executor_the_appeal_was_assigned_to():
    uow = FakeUnitOfWork()
    appeal = uuid.uuid4()

    entry = partial(timeline_entry, appeal)

    await handlers.record_progress(uow, [entry("appeal.assigned", "almaly_akimat")])
    with pytest.raises(NotBelieved, match="never assigned"):
        await handlers.record_progress(uow, [entry("appeal.answered", "medeu_akimat")])
    await handlers.record_progress(uow, [entry("appeal.assigned", "medeu_akimat"), entry("appeal.answered", "medeu_akimat")])
    assert [e.event_type for _, e in uow.appeals.timeline_rows] == ["appeal.assigned", "appeal.assigned",
                                                                    "appeal.answered"]


async def test_an_answer_before_its_assignment_in_one_batch_reaches_the_timeline():
    uow = FakeUnitOfWork()
    appeal = uuid.uuid4()

    entry = partial(timeline_entry, appeal)

    await handlers.record_progress(uow, [entry("appeal.assigned", "almaly_akimat")])
    await handlers.record_progress(uow, [entry("appeal.answered", "medeu_akimat"),
                                         entry("appeal.assigned", "medeu_akimat")])
    assert [e.event_type for _, e in uow.appeals.timeline_rows][-2:] == ["appeal.answered", "appeal.assigned"]


# -- the operators' desk ---------------------------------------------------------------------------

def desk(message_id: str, **changes) -> SubmitAppeal:
    return submission(message_id, **{"channel": "contact_centre", "operator": "op-1", "operator_name": "Asel Operator",
                                     "citizen": Contact(name="Dana", iin="900101300017", phone="+77011234567"),
                                     **changes})


async def test_a_consultation_is_registered_closed_with_the_operators_answer():
    from appeals_intake.domain.model import Consultation
    uow = FakeUnitOfWork()
    answer = Consultation("Passes are not needed inside the city.", "movement_no_pass", reply_wanted=True)
    [outcome] = await submit(uow, [desk("c1", kind="consultation", category="movement_within_city",
                                        consultation=answer)])
    assert isinstance(outcome, handlers.Registered)
    view = await handlers.appeal_status(uow, outcome.appeal.registration_number)
    assert view.status.status == "closed" and view.status.answer == answer.answer
    from appeals_intake.adapters.events import registered
    given = registered(outcome.appeal).consultation
    assert given.answered_by == "op-1" and given.answered_by_name == "Asel Operator" and given.reply_wanted


async def test_a_consultations_answer_comes_only_from_a_signed_in_operator_and_only_as_a_consultation():
    from appeals_intake.domain.model import Consultation
    uow = FakeUnitOfWork()
    answer = Consultation("Passes are not needed inside the city.")
    outcomes = await submit(uow, [
        desk("c2", kind="consultation", category="movement_within_city", consultation=answer, operator=None),
        desk("c3", kind="complaint", category="movement_within_city", consultation=answer),
        desk("c4", kind="consultation", category="movement_within_city", anonymous=True, citizen=None,
             consultation=replace(answer, reply_wanted=True))])
    fields = [{r.field for r in o.reasons} for o in outcomes]
    assert fields[0] == {"consultation"} and fields[1] == {"consultation"}
    assert "consultation.reply_wanted" in fields[2]


async def test_the_callers_earlier_appeals_are_found_by_keyed_hash_and_a_re_appeal_is_linked_knowingly():
    uow = FakeUnitOfWork()
    [first] = await submit(uow, [desk("d1", district="medeu")])
    [other] = await submit(uow, [desk("d2", citizen=Contact(name="Erlan", phone="+77017654321"))])
    found = await handlers.caller_appeals(uow, iin="900101300017", phone=None, email=None, token_secret=SECRET)
    assert [v.appeal.registration_number for v in found] == [first.appeal.registration_number]
    assert await handlers.caller_appeals(uow, iin=None, phone="+77000000000", email=None, token_secret=SECRET) == []
    [again] = await submit(uow, [desk("d3", category="landscaping", re_appeal_of=first.appeal.registration_number)])
    assert ("re_appeal", again.appeal.registration_number, first.appeal.registration_number, "iin") \
        in uow.announced
    assert [link.knowingly for link in uow.appeals.links] == [True]
    [foreign] = await submit(uow, [desk("d6", re_appeal_of=other.appeal.registration_number)])
    assert [r.message for r in foreign.reasons] == ["the caller's IIN, phone or e-mail is not on that appeal"]
    [unknown] = await submit(uow, [desk("d4", re_appeal_of="OA-2026-09999999")])
    assert [r.field for r in unknown.reasons] == ["re_appeal_of"]
    [not_operator] = await submit(uow, [submission("d5", re_appeal_of=first.appeal.registration_number)])
    assert [r.field for r in not_operator.reasons] == ["re_appeal_of"]
    assert other.appeal.registration_number not in {v.appeal.registration_number for v in found}


async def test_a_callers_status_needs_a_contact_the_appeal_carries():
    uow = FakeUnitOfWork()
    [first] = await submit(uow, [desk("s1")])
    number = first.appeal.registration_number
    seen = await handlers.caller_status(uow, number, iin=None, phone="+77011234567", email=None, token_secret=SECRET)
    assert seen is not None and seen.appeal.registration_number == number
    for wrong in ({"iin": "880101300018", "phone": None}, {"iin": None, "phone": None}):
        assert await handlers.caller_status(uow, number, email=None, token_secret=SECRET, **wrong) is None
    assert await handlers.caller_status(uow, "OA-2026-09999999", iin="900101300017", phone=None, email=None,
                                        token_secret=SECRET) is None


async def test_staff_change_a_prepared_answer_and_only_offered_ones_may_be_named():
    from appeals_intake.domain.model import Consultation
    uow = FakeUnitOfWork()
    shipped = await handlers.prepared_answers(uow, topics=CATALOG.categories)
    assert "movement_no_pass" in {a.code for a in shipped}
    item = {"code": "movement_no_pass", "topic": "movement_within_city", "active": False,
            "title": {"kk": "a", "ru": "б", "en": "c"}, "text": {"kk": "d", "ru": "е", "en": "f"}}
    changed = await handlers.change_prepared_answer(uow, item, topics=CATALOG.categories, by="insp-1", now=NOW)
    assert changed.active is False
    refused = await handlers.change_prepared_answer(uow, {**item, "topic": "nowhere"}, topics=CATALOG.categories,
                                                    by="insp-1", now=NOW)
    assert isinstance(refused, handlers.Refused) and refused.status == 422 and "no category" in refused.reason
    [outcome] = await submit(uow, [desk("p1", kind="consultation", category="movement_within_city",
                                        consultation=Consultation("Not needed.", "movement_no_pass"))])
    assert [r.field for r in outcome.reasons] == ["consultation.prepared_answer"]  # retired: not offered
