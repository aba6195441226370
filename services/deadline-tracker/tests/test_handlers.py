"""The deadline tracker's use cases through a hand-written fake unit of work (no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from appeals_contracts.reference import load_reference
from appeals_deadlines import handlers
from appeals_deadlines.adapters.data_files import read_calendar, read_regime
from deadline_fakes import FakeUnitOfWork

CAL = read_calendar()
FAMILIES = frozenset(str(e.attributes["deadline_family"]) for e in load_reference().channels.entries.values())
SEED = read_regime(FAMILIES)
REGISTERED = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)  # Monday morning in Almaty


async def scheduled(uow: FakeUnitOfWork, family: str = "standard") -> uuid.UUID:
    appeal = uuid.uuid4()
    await handlers.schedule(uow, appeal_id=appeal, channel_family=family, registered_at=REGISTERED, regime=SEED,
                            calendar=CAL, now=REGISTERED)
    return appeal


async def test_a_registration_schedules_once_with_reminders_and_a_breach():
    uow = FakeUnitOfWork()
    appeal = await scheduled(uow)
    await handlers.schedule(uow, appeal_id=appeal, channel_family="standard", registered_at=REGISTERED,
                            regime=SEED, calendar=CAL, now=REGISTERED)  # a redelivery
    [event] = uow.announced
    assert event.event_type == "deadline.scheduled" and event.due_at > REGISTERED
    kinds = sorted(t.kind for t in uow.deadlines.timers)
    assert kinds.count("breach") == 1 and len(kinds) == 1 + len(event.reminders_at)


async def test_extension_is_granted_once_before_the_due_time():
    uow = FakeUnitOfWork()
    appeal = await scheduled(uow)
    due = uow.deadlines.rows[appeal].due_at
    for _ in range(2):
        await handlers.request_extension(uow, appeal_id=appeal, reason="needs a site visit",
                                         requested_at=REGISTERED + timedelta(days=1), regime=SEED, calendar=CAL,
                                         now=REGISTERED + timedelta(days=1))
    assert uow.types() == ["deadline.scheduled", "deadline.extended", "deadline.extension_refused"]
    extended, refused = uow.announced[1:]
    assert extended.previous_due_at == due and extended.due_at > due
    assert refused.reason == "the deadline was already extended once"
    assert all(t.due_at == extended.due_at for t in uow.deadlines.timers), "old timers were cancelled"


async def test_extension_after_the_due_time_is_refused():
    uow = FakeUnitOfWork()
    appeal = await scheduled(uow)
    late = uow.deadlines.rows[appeal].due_at + timedelta(minutes=1)
    await handlers.request_extension(uow, appeal_id=appeal, reason="late", requested_at=late, regime=SEED,
                                     calendar=CAL, now=late)
    assert [e.reason for e in uow.announced[1:]] == ["the request came after the due time"]


async def test_what_comes_before_the_registration_applies_once_the_deadline_is_scheduled():
    """Kafka orders nothing across topics: "not routed", or an answer and its acceptance, may
    reach the tracker before the registration. They wait, then apply in the order they came."""
    uow = FakeUnitOfWork()
    quiet, answered = uuid.uuid4(), uuid.uuid4()
    await handlers.not_routed(uow, appeal_id=quiet)
    submitted = REGISTERED + timedelta(days=1)
    await handlers.record_answer(uow, appeal_id=answered, submitted_at=submitted, now=submitted)
    await handlers.accept_answer(uow, appeal_id=answered, answer_submitted_at=submitted, now=submitted)
    assert uow.announced == [] and uow.deadlines.rows == {}
    for appeal in (quiet, answered):
        await handlers.schedule(uow, appeal_id=appeal, channel_family="standard", registered_at=REGISTERED,
                                regime=SEED, calendar=CAL, now=REGISTERED)
    assert uow.deadlines.rows[quiet].status == "not_routed"
    assert uow.deadlines.rows[answered].status == "closed"
    assert not [t for t in uow.deadlines.timers if t.appeal_id in (quiet, answered)], "no timer left to fire"
    assert uow.types() == ["deadline.scheduled", "deadline.scheduled", "deadline.closed"]
    assert uow.deadlines.deferred == []


async def test_an_accepted_answer_closes_the_deadline_and_silences_its_timers():
    uow = FakeUnitOfWork()
    appeal = await scheduled(uow)
    due = uow.deadlines.rows[appeal].due_at
    submitted = due - timedelta(hours=1)
    await handlers.record_answer(uow, appeal_id=appeal, submitted_at=submitted, now=submitted)
    await handlers.accept_answer(uow, appeal_id=appeal, answer_submitted_at=submitted, now=due + timedelta(hours=2))
    await handlers.accept_answer(uow, appeal_id=appeal, answer_submitted_at=submitted, now=due + timedelta(hours=3))
    assert uow.types() == ["deadline.scheduled", "deadline.closed"]
    assert uow.announced[1].on_time is True, "submitted before the due time counts, even if accepted later"
    assert await handlers.fire_due_timers(uow, now=due + timedelta(days=30), limit=100) == 0


async def test_due_timers_fire_once_as_reminders_then_the_breach():
    uow = FakeUnitOfWork()
    appeal = await scheduled(uow)
    due = uow.deadlines.rows[appeal].due_at
    later = due + timedelta(seconds=1)
    assert await handlers.fire_due_timers(uow, now=later, limit=1) == 1  # a small batch: the rest wait
    await handlers.fire_due_timers(uow, now=later, limit=100)
    await handlers.fire_due_timers(uow, now=later, limit=100)
    fired = uow.types()[1:]
    assert fired[-1] == "deadline.breached" and set(fired[:-1]) == {"deadline.approaching"}
    assert len(fired) == len(uow.deadlines.timers)


async def test_timers_of_a_moved_or_not_routed_deadline_fire_silently():
    uow = FakeUnitOfWork()
    moved, dropped = await scheduled(uow), await scheduled(uow)
    stale = uow.deadlines.rows[moved].due_at
    uow.deadlines.rows[moved] = replace(uow.deadlines.rows[moved], due_at=stale + timedelta(days=5))
    await handlers.not_routed(uow, appeal_id=dropped)
    assert uow.deadlines.rows[dropped].status == "not_routed"
    await handlers.fire_due_timers(uow, now=stale + timedelta(seconds=1), limit=100)
    assert uow.types() == ["deadline.scheduled", "deadline.scheduled"]


APPC = read_regime(FAMILIES, regime="appc_2021")
ALMATY_TZ = __import__("zoneinfo").ZoneInfo("Asia/Almaty")


async def appc_scheduled(uow: FakeUnitOfWork, registered: datetime) -> uuid.UUID:
    appeal = uuid.uuid4()
    await handlers.schedule(uow, appeal_id=appeal, channel_family="standard", registered_at=registered, regime=APPC,
                            calendar=CAL, now=registered)
    return appeal


async def test_an_appeal_received_on_a_saturday_of_nauryz_counts_from_thursday_26_march():
    uow = FakeUnitOfWork()
    await appc_scheduled(uow, datetime(2026, 3, 21, 11, 0, tzinfo=ALMATY_TZ))  # Saturday; 21-25 March are days off
    [event] = uow.announced
    assert event.counted_from.isoformat() == "2026-03-26"
    # 15 working days from the day after Thursday 26 March, the forwarding limit 3 working days.
    assert event.due_at.astimezone(ALMATY_TZ).date().isoformat() == "2026-04-17"  # 00:00 after Thursday 16 April
    assert event.forwarding_due_at.astimezone(ALMATY_TZ).date().isoformat() == "2026-04-01"  # after Tuesday 31 March


async def test_a_reassignment_on_the_fourth_working_day_is_a_forwarding_breach():
    monday = datetime(2026, 11, 2, 10, 0, tzinfo=ALMATY_TZ)  # a working day, in working hours
    uow = FakeUnitOfWork()
    appeal = await appc_scheduled(uow, monday)
    third, fourth = datetime(2026, 11, 5, 17, 0, tzinfo=ALMATY_TZ), datetime(2026, 11, 6, 9, 30, tzinfo=ALMATY_TZ)
    await handlers.record_forwarding(uow, appeal_id=appeal, forwarded_at=third, from_executor="medeu_akimat",
                                     to_executor="triage", now=third)
    assert uow.types() == ["deadline.scheduled"]  # Thursday, the 3rd working day: in time
    await handlers.record_forwarding(uow, appeal_id=appeal, forwarded_at=fourth, from_executor="triage",
                                     to_executor="mobility_dept", now=fourth)
    breach = uow.announced[-1]
    assert breach.event_type == "deadline.forwarding_breached" and breach.from_executor_code == "triage"
    assert breach.forwarded_at == fourth and breach.forwarding_due_at < fourth


async def test_a_reassignment_before_the_registration_arrived_is_kept_and_judged_then():
    uow = FakeUnitOfWork()
    appeal = uuid.uuid4()
    late = datetime(2026, 11, 9, 12, 0, tzinfo=ALMATY_TZ)
    await handlers.record_forwarding(uow, appeal_id=appeal, forwarded_at=late, from_executor="a", to_executor="b",
                                     now=late)
    assert uow.announced == []
    await handlers.schedule(uow, appeal_id=appeal, channel_family="standard", regime=APPC, calendar=CAL,
                            registered_at=datetime(2026, 11, 2, 10, 0, tzinfo=ALMATY_TZ), now=late)
    assert uow.types() == ["deadline.scheduled", "deadline.forwarding_breached"]


async def test_the_seed_regime_keeps_its_own_rules():
    uow = FakeUnitOfWork()
    appeal = await scheduled(uow)
    saturday = REGISTERED + timedelta(days=5)
    await handlers.record_forwarding(uow, appeal_id=appeal, forwarded_at=saturday + timedelta(days=30),
                                     from_executor="a", to_executor="b", now=saturday)
    [event] = uow.announced
    assert event.forwarding_due_at is None and event.counted_from == REGISTERED.astimezone(ALMATY_TZ).date()


async def test_an_extension_notice_delivered_late_or_not_at_all_is_reported():
    monday = datetime(2026, 11, 2, 10, 0, tzinfo=ALMATY_TZ)
    for delivered_after in (timedelta(days=1), timedelta(days=10), None):
        uow = FakeUnitOfWork()
        appeal = await appc_scheduled(uow, monday)
        asked = monday + timedelta(days=2)
        await handlers.request_extension(uow, appeal_id=appeal, reason="on-site inspection", requested_at=asked,
                                         regime=APPC, calendar=CAL, now=asked)
        extended = uow.announced[-1]
        assert extended.event_type == "deadline.extended" and extended.notice_due_at is not None
        if delivered_after is not None:
            at = asked + delivered_after
            await handlers.record_notice_delivery(uow, appeal_id=appeal, template="citizen.extended",
                                                  delivered_at=at, now=at)
            await handlers.record_notice_delivery(uow, appeal_id=appeal, template="citizen.extended",
                                                  delivered_at=at + timedelta(days=1), now=at)  # a repeat
        await handlers.fire_due_timers(uow, now=extended.notice_due_at + timedelta(seconds=1), limit=100)
        late = [e for e in uow.announced if e.event_type == "deadline.extension_notice_late"]
        if delivered_after == timedelta(days=1):
            assert late == []
        elif delivered_after is None:
            assert [e.delivered_at for e in late] == [None]
        else:
            assert [e.delivered_at for e in late] == [asked + delivered_after]


async def test_a_reopened_appeal_gets_a_new_deadline_from_the_reopening_and_closes_again():
    uow = FakeUnitOfWork()
    appeal = await scheduled(uow)
    answered = REGISTERED + timedelta(days=2)
    await handlers.record_answer(uow, appeal_id=appeal, submitted_at=answered, now=answered)
    await handlers.accept_answer(uow, appeal_id=appeal, answer_submitted_at=answered, now=answered)
    reopened_at = REGISTERED + timedelta(days=10)
    for _ in range(2):  # a repeat changes nothing
        await handlers.reopen(uow, appeal_id=appeal, reopened_at=reopened_at, regime=SEED, calendar=CAL,
                              now=reopened_at)
    assert uow.types() == ["deadline.scheduled", "deadline.closed", "deadline.scheduled"]
    again = uow.announced[-1]
    assert again.reopened and again.due_at > reopened_at + timedelta(days=14)
    assert uow.deadlines.rows[appeal].status == "open"
    assert {t.due_at for t in uow.deadlines.timers if t not in uow.deadlines.fired} == {again.due_at}
    await handlers.accept_answer(uow, appeal_id=appeal, answer_submitted_at=answered, now=reopened_at)
    assert uow.deadlines.rows[appeal].status == "open", "the answer the citizen found wanting closes nothing again"
    late = reopened_at + timedelta(days=20)
    await handlers.record_answer(uow, appeal_id=appeal, submitted_at=late, now=late)
    await handlers.accept_answer(uow, appeal_id=appeal, answer_submitted_at=late, now=late)
    assert uow.announced[-1].event_type == "deadline.closed" and uow.announced[-1].on_time is False


async def test_a_merged_appeal_stops_its_clock_and_an_unmerge_resumes_it():
    uow = FakeUnitOfWork()
    appeal = await scheduled(uow)
    later = REGISTERED + timedelta(days=1)
    for _ in range(2):
        await handlers.stop_merged(uow, appeal_id=appeal, now=later)
    assert uow.types() == ["deadline.scheduled", "deadline.stopped"]
    assert uow.deadlines.rows[appeal].status == "merged"
    await handlers.fire_due_timers(uow, now=REGISTERED + timedelta(days=40), limit=100)
    assert "deadline.breached" not in uow.types()  # a merged appeal is never late
    await handlers.resume_unmerged(uow, appeal_id=appeal, regime=SEED, calendar=CAL, now=later)
    resumed = uow.announced[-1]
    assert resumed.event_type == "deadline.scheduled" and resumed.resumed and resumed.due_at == uow.announced[0].due_at
    await handlers.fire_due_timers(uow, now=resumed.due_at + timedelta(seconds=1), limit=100)
    assert uow.types()[-1] == "deadline.breached"


@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(sorted(FAMILIES)), st.integers(0, 400),
                          st.sampled_from(["", "answer", "not_routed"])), max_size=12))
async def test_a_run_of_registrations_at_once_is_the_same_as_one_at_a_time(items):
    """The set-based path (three statements a run) against the per-event one: the same rows,
    timers and announcements in the same order, redeliveries and early events included."""
    ids = [uuid.UUID(int=n + 1) for n in range(6)]
    registrations = [handlers.Registration(ids[n], family, REGISTERED + timedelta(hours=h)) for n, family, h, _ in items]

    def prepared() -> FakeUnitOfWork:
        uow = FakeUnitOfWork()
        for n, _, h, early in items:
            if early == "answer":
                uow.deadlines.deferred.append((ids[n], "answer", {
                    "submitted_at": (REGISTERED + timedelta(hours=h + 1)).isoformat()}))
            elif early == "not_routed":
                uow.deadlines.deferred.append((ids[n], "not_routed", {}))
        return uow

    one_by_one, at_once = prepared(), prepared()
    for r in registrations:
        await handlers.schedule(one_by_one, appeal_id=r.appeal_id, channel_family=r.channel_family,
                                registered_at=r.registered_at, regime=SEED, calendar=CAL, now=REGISTERED)
    await handlers.schedule_all(at_once, registrations, regime=SEED, calendar=CAL, now=REGISTERED)
    assert at_once.deadlines.rows == one_by_one.deadlines.rows
    assert sorted(at_once.deadlines.timers, key=repr) == sorted(one_by_one.deadlines.timers, key=repr)
    assert at_once.announced == one_by_one.announced
    assert at_once.deadlines.deferred == one_by_one.deadlines.deferred == []


async def test_only_an_answer_the_tracker_heard_of_can_be_accepted():
    """A forged acceptance (of an answer routing never passed on) stops no clock; an acceptance
    that overtook its answer applies when the answer comes; an earlier answer of the appeal can
    be the accepted one (a newer one was still on its way to the inspectors)."""
    uow = FakeUnitOfWork()
    appeal = await scheduled(uow)
    due = uow.deadlines.rows[appeal].due_at
    first, second = due - timedelta(days=2), due - timedelta(days=1)
    await handlers.accept_answer(uow, appeal_id=appeal, answer_submitted_at=due - timedelta(days=3), now=due)
    assert uow.deadlines.rows[appeal].status == "open" and uow.types() == ["deadline.scheduled"]
    await handlers.accept_answer(uow, appeal_id=appeal, answer_submitted_at=first, now=due)  # before its answer
    assert uow.deadlines.rows[appeal].status == "open"
    await handlers.record_answer(uow, appeal_id=appeal, submitted_at=first, now=due)
    assert uow.deadlines.rows[appeal].status == "closed" and uow.types()[-1] == "deadline.closed"
    assert [k for _, k, _ in uow.deadlines.deferred] == ["accepted"]  # the forged one, still without effect

    later = await scheduled(uow)
    await handlers.record_answer(uow, appeal_id=later, submitted_at=first, now=due)
    await handlers.record_answer(uow, appeal_id=later, submitted_at=second, now=due)
    await handlers.accept_answer(uow, appeal_id=later, answer_submitted_at=first, now=due)
    assert uow.deadlines.rows[later].status == "closed"
