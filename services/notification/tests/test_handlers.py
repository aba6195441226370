"""``on_event`` with a fake unit of work: facts gathered across topics, notices written once
complete, the registration notice first, a citizen without an address skipped."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealAssigned, AppealRegistered, CitizenContact, DeadlineScheduled
from appeals_contracts.reference import load_reference
from appeals_notification import handlers
from appeals_notification.adapters.data_files import names_from, read_recipients
from appeals_notification.adapters.templates import RenderFailed, Templates
from appeals_notification.domain.ledger import LedgerRow
from appeals_notification.domain.messages import AppealFacts

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
REF = load_reference()
WRITER = handlers.Writer(templates=Templates(), names=names_from(REF),
                         recipients=read_recipients(None, REF.executors.codes), replies_in_channel=frozenset({"portal"}),
                         default_language="ru", track_url="https://example.kz/status/{number}?token={token}", quiet_hours=None)


class FakeAppeals:
    def __init__(self) -> None:
        self.facts: dict[uuid.UUID, AppealFacts] = {}

    async def get_for_update(self, appeal_id):
        return self.facts.setdefault(appeal_id, AppealFacts(appeal_id))

    async def register(self, facts):
        known = self.facts.setdefault(facts.appeal_id, AppealFacts(facts.appeal_id))
        self.facts[facts.appeal_id] = replace(facts, executor_code=known.executor_code, due_at=known.due_at)
        return self.facts[facts.appeal_id]

    async def set_executor(self, appeal_id, executor_code):
        self.facts.setdefault(appeal_id, AppealFacts(appeal_id))
        self.facts[appeal_id] = replace(self.facts[appeal_id], executor_code=executor_code)
        return self.facts[appeal_id]

    async def move_due(self, appeal_id, due_at):
        self.facts.setdefault(appeal_id, AppealFacts(appeal_id))
        self.facts[appeal_id] = replace(self.facts[appeal_id], due_at=max(due_at, self.facts[appeal_id].due_at or due_at))
        return self.facts[appeal_id]


class FakeLedger:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, dict] = {}
        self.order: list[str] = []

    async def add(self, notices):
        for n in notices:
            if not any((r["source"], r["audience"], r["template"]) == (n.source_event_id, n.audience, n.template)
                       for r in self.rows.values()):
                self.rows[n.notification_id] = {"source": n.source_event_id, "notice": n, "audience": n.audience,
                                                "template": n.template, "status": "waiting"}

    async def add_and_list_waiting(self, appeal_id, notices):
        await self.add(notices)
        return await self.waiting(appeal_id)

    async def waiting(self, appeal_id):
        return [LedgerRow(r["notice"].notification_id, appeal_id, r["audience"], r["template"], r["notice"].urgent,
                          r["notice"].facts, None, None, None, None, None, None, 0)
                for r in self.rows.values() if r["status"] == "waiting" and r["notice"].appeal_id == appeal_id]

    async def written(self, notification_id, route, subject, body, send_at):
        self.rows[notification_id].update(status="pending", route=route, body=body)
        self.order.append(self.rows[notification_id]["template"])

    async def skipped(self, notification_id, reason, at):
        self.rows[notification_id].update(status="skipped", reason=reason)


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.appeals, self.ledger = FakeAppeals(), FakeLedger()


async def apply(uow, event, writer=WRITER) -> None:
    envelope = Envelope.wrap(event, source="/test", subject=str(event.appeal_id))
    await handlers.on_event(uow, envelope, event, writer=writer, now=NOW)


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


async def test_a_redelivered_event_adds_no_second_notice():
    uow, appeal = FakeUnitOfWork(), uuid.uuid4()
    event = scheduled(appeal)
    envelope = Envelope.wrap(event, source="/test", subject=str(appeal))
    await apply(uow, registered(appeal))
    for _ in range(2):
        await handlers.on_event(uow, envelope, event, writer=WRITER, now=NOW)
    assert uow.ledger.order == ["citizen.registered"]


async def test_a_citizen_without_an_address_is_skipped_with_the_reason():
    uow, appeal = FakeUnitOfWork(), uuid.uuid4()
    await apply(uow, registered(appeal, anonymous=True, citizen=None))
    await apply(uow, scheduled(appeal))
    [row] = uow.ledger.rows.values()
    assert (row["status"], row["reason"]) == ("skipped", "no address for the citizen")


async def test_a_template_that_cannot_render_fails_the_event():
    class Broken:
        def render(self, template, language, context):
            raise RenderFailed(f"{language}/{template}: 'executor_name' is undefined")

    uow, appeal = FakeUnitOfWork(), uuid.uuid4()
    await apply(uow, registered(appeal))
    with pytest.raises(RenderFailed, match="executor_name"):
        await apply(uow, scheduled(appeal), writer=replace(WRITER, templates=Broken()))
