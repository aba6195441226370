"""``on_events`` with a fake unit of work: facts gathered across topics, notices written once
complete, the registration notice first, a citizen without an address skipped, and a batch
writing exactly what the same events one at a time would."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealAssigned, AppealRegistered, CitizenContact, DeadlineExtended, DeadlineScheduled
from appeals_contracts.reference import load_reference
from appeals_notification import handlers
from notification_fakes import FakeUnitOfWork
from appeals_notification.adapters.data_files import names_from, read_recipients
from appeals_notification.adapters.templates import RenderFailed, Templates
from appeals_notification.domain.delivery import QuietHours

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
REF = load_reference()
WRITER = handlers.Writer(templates=Templates(), names=names_from(REF),
                         recipients=read_recipients(None, REF.executors.codes), replies_in_channel=frozenset({"portal"}),
                         default_language="ru", track_url="https://example.kz/status/{number}?token={token}", quiet_hours=None)


async def apply(uow, event, writer=WRITER) -> None:
    envelope = Envelope.wrap(event, source="/test", subject=str(event.appeal_id), time=NOW)
    await handlers.on_events(uow, [(envelope, event)], writer=writer, now=NOW)


def registered(appeal: uuid.UUID, **changes) -> AppealRegistered:
    fields = dict(appeal_id=appeal, registration_number="OA-2026-00000042", channel="contact_centre",
                  channel_message_id="cc-1", kind="complaint", category="landscaping", district="almaly",
                  text="The park bench is broken.", language="kk",
                  citizen=CitizenContact(name="Aigerim", phone="+77011234567", preferred_language="en"),
                  submitted_at=NOW, registered_at=NOW, status_token="tok-" + "s" * 28)
    return AppealRegistered(**{**fields, **changes})


def scheduled(appeal: uuid.UUID) -> DeadlineScheduled:
    return DeadlineScheduled(appeal_id=appeal, policy_code="seed.calendar_15", regime="seed",
                             due_at=NOW + timedelta(days=15), reminders_at=(), scheduled_at=NOW)


def assigned(appeal: uuid.UUID) -> AppealAssigned:
    return AppealAssigned(appeal_id=appeal, registration_number="OA-2026-00000042", executor_code="almaly_akimat",
                          reason="routing_rule", category="landscaping", district="almaly", assigned_at=NOW)


async def test_notices_wait_for_their_facts_and_the_registration_notice_comes_first():
    uow, appeal = FakeUnitOfWork(), uuid.uuid4()
    await apply(uow, assigned(appeal))  # Kafka orders nothing across topics
    await apply(uow, scheduled(appeal))
    assert uow.ledger.order == [], "nothing is written before the registration is known"
    await apply(uow, registered(appeal))
    assert uow.ledger.order[0] == "citizen.registered"
    assert sorted(uow.ledger.order) == ["citizen.assigned", "citizen.registered", "executor.assigned"]
    citizen = next(r for r in uow.ledger.rows.values() if r["template"] == "citizen.registered")
    assert citizen["route"].delivery_channel == "sms" and citizen["route"].language == "en"
    assert "OA-2026-00000042" in citizen["body"]
    assert "https://example.kz/status/OA-2026-00000042?token=tok-" in citizen["body"], "the status link opens"


async def test_the_channels_with_a_message_due_now_are_named_so_their_workers_wake():
    uow = FakeUnitOfWork()
    writer = replace(WRITER, digest_period=timedelta(minutes=5), quiet_hours=QuietHours())
    day, night = NOW, NOW.replace(hour=18)  # 11:00 and 23:00 in Almaty

    async def due(*events, now):
        return await handlers.on_events(uow, [_wrapped(e) for e in events], writer=writer, now=now)

    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert await due(assigned(first), scheduled(first), now=day) == set(), "nothing is written before the registration"
    assert await due(registered(first), now=day) == {"sms"}, \
        "the citizen's notices go now; the executor's waits for its digest"
    assert await due(scheduled(second), registered(second), now=night) == set(), "an SMS held for the morning wakes no one"
    by_mail = CitizenContact(name="Aigerim", email="aigerim@example.kz")
    assert await due(scheduled(third), registered(third, citizen=by_mail), now=night) == {"email"}
    assert {r["template"] for r in uow.ledger.rows.values() if r["status"] == "pending"} >= {
        "citizen.registered", "executor.assigned"}


def _wrapped(event):
    return Envelope.wrap(event, source="/test", subject=str(event.appeal_id), time=NOW), event


async def test_a_redelivered_event_adds_no_second_notice():
    uow, appeal = FakeUnitOfWork(), uuid.uuid4()
    event = scheduled(appeal)
    envelope = Envelope.wrap(event, source="/test", subject=str(appeal), time=NOW)
    await apply(uow, registered(appeal))
    for _ in range(2):
        await handlers.on_events(uow, [(envelope, event)], writer=WRITER, now=NOW)
    assert uow.ledger.order == ["citizen.registered"]


async def test_a_citizen_without_an_address_is_skipped_with_the_reason():
    uow, appeal = FakeUnitOfWork(), uuid.uuid4()
    await apply(uow, registered(appeal, anonymous=True, citizen=None))
    await apply(uow, scheduled(appeal))
    [row] = uow.ledger.rows.values()
    assert (row["status"], row["reason"]) == ("skipped", "no address for the citizen")


async def test_a_template_that_cannot_render_fails_the_event():
    class Broken:
        def render(self, template, language, context, *, sms=False):
            raise RenderFailed(f"{language}/{template}: 'executor_name' is undefined")

    uow, appeal = FakeUnitOfWork(), uuid.uuid4()
    await apply(uow, registered(appeal))
    with pytest.raises(RenderFailed, match="executor_name"):
        await apply(uow, scheduled(appeal), writer=replace(WRITER, templates=Broken()))


def extended(appeal: uuid.UUID) -> DeadlineExtended:
    return DeadlineExtended(appeal_id=appeal, previous_due_at=NOW + timedelta(days=15), due_at=NOW + timedelta(days=30),
                            reason="On-site inspection", extended_at=NOW)


APPEALS = [uuid.UUID(int=i + 1) for i in range(3)]
KINDS = {"registered": registered, "assigned": assigned, "scheduled": scheduled, "extended": extended}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(APPEALS), st.sampled_from(sorted(KINDS))), min_size=1, max_size=14),
       st.integers(min_value=1, max_value=6))
async def test_a_batch_writes_exactly_what_the_same_events_one_at_a_time_would(stream, batch_size):
    envelopes = [(Envelope.wrap(KINDS[kind](appeal), source="/test", subject=str(appeal),
                                time=NOW), KINDS[kind](appeal))
                 for appeal, kind in stream]
    envelopes = [(envelope, envelope.event()) for envelope, _ in envelopes]
    one, batched = FakeUnitOfWork(), FakeUnitOfWork()
    for item in envelopes:
        await handlers.on_events(one, [item], writer=WRITER, now=NOW)
    for i in range(0, len(envelopes), batch_size):
        await handlers.on_events(batched, envelopes[i:i + batch_size], writer=WRITER, now=NOW)

    def outcome(uow):
        return ([(r["template"], r["status"], r.get("body"), r.get("reason")) for r in uow.ledger.rows.values()],
                uow.ledger.order, uow.appeals.facts)

    assert outcome(batched) == outcome(one)
