"""The delivery steps with a fake ledger: claimed rows marked "sending" before the provider is
called, outcomes, the final failure, quiet hours, in-channel replies, messages in doubt."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from appeals_notification import handlers
from notification_fakes import FakeUnitOfWork
from appeals_notification.domain.ledger import LedgerRow
from appeals_notification.domain.delivery import DeliveryBackoff, QuietHours
from appeals_notification.domain.messages import AppealFacts
from appeals_notification.adapters.templates import Templates
from appeals_notification.domain.digest import DigestPolicy
from appeals_notification.domain.outgoing import DeliveryError

NOON_ALMATY = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
MIDNIGHT_ALMATY = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)


def row(attempts: int = 0, urgent: bool = False) -> LedgerRow:
    return LedgerRow(uuid4(), uuid4(), "citizen", "citizen.registered", urgent, {}, f"citizen:{uuid4()}", "sms",
                     "+7701", "ru", "Subject", "Body", attempts)


def executor_row(subject: str, urgent: bool = False, recipient: str = "executor:medeu") -> LedgerRow:
    return LedgerRow(uuid4(), uuid4(), "executor", "executor.assigned", urgent, {}, recipient, "email",
                     "medeu@example.kz", "ru", subject, f"Body of {subject}", 0)


def FakeUow(queue=(), stale=()) -> FakeUnitOfWork:  # noqa: N802 - reads as the class it makes
    """A unit of work whose appeals all have a reply channel (the outbound channel's rows need one)."""
    return FakeUnitOfWork(queue, stale, default=lambda a: AppealFacts(
        appeal_id=a, channel="social_network", social_network="telegram", channel_message_id="tg-1"))


class Sender:
    channel = "sms"

    def __init__(self, error=None):
        self.error, self.sent = error, []

    async def send(self, message):
        self.sent.append(message)
        if self.error:
            raise self.error


async def deliver(uow, sender, now=NOON_ALMATY, quiet=QuietHours(), retry=DeliveryBackoff(max_attempts=3)):
    rows = await handlers.claim_for_sending(uow, channel="sms", now=now, quiet_hours=quiet, limit=10)
    assert uow.ledger.marked == [r.notification_id for r in rows] and sender.sent == [], "marked before any call"
    outcomes = await handlers.send_all(sender, rows)
    await handlers.record_outcomes(uow, rows, outcomes, channel="sms", now=now, retry=retry)
    return len(rows)


async def test_success_is_recorded_and_announced():
    uow = FakeUow([row()])
    assert await deliver(uow, Sender()) == 1
    assert [a[2] for a in uow.ledger.attempts] == ["delivered"]
    assert [e.event_type for e in uow.announced] == ["notification.delivered"]


async def test_a_temporary_failure_is_retried_with_backoff_until_the_last_attempt():
    uow = FakeUow([row(attempts=0)])
    await deliver(uow, Sender(DeliveryError("SMS gateway HTTP 503")))
    _, attempt, outcome, error, next_at = uow.ledger.attempts[0]
    assert (attempt, outcome, error, next_at) == (1, "retry", "SMS gateway HTTP 503", NOON_ALMATY + timedelta(seconds=5))
    last = FakeUow([row(attempts=2)])
    await deliver(last, Sender(DeliveryError("SMS gateway HTTP 503")))
    assert last.ledger.attempts[0][2] == "failed"
    failed = last.announced[0]
    assert failed.event_type == "notification.delivery_failed" and failed.attempts == 3


async def test_a_permanent_failure_is_final_at_once_and_an_adapter_bug_is_only_temporary():
    uow = FakeUow([row()])
    await deliver(uow, Sender(DeliveryError("SMS gateway HTTP 400", permanent=True)))
    assert uow.ledger.attempts[0][2] == "failed"
    buggy = FakeUow([row()])
    await deliver(buggy, Sender(KeyError("x")))
    assert buggy.ledger.attempts[0][2:4] == ("retry", "KeyError in the sms adapter")


async def test_non_urgent_sms_wait_out_the_night_urgent_ones_do_not():
    calm, urgent = row(), row(urgent=True)
    uow, sender = FakeUow([calm, urgent]), Sender()
    await deliver(uow, sender, now=MIDNIGHT_ALMATY)
    assert [m.notification_id for m in sender.sent] == [urgent.notification_id]
    assert uow.ledger.postponed == [(calm.notification_id, datetime(2026, 12, 2, 3, 0, tzinfo=UTC))]


async def test_in_channel_replies_are_announced_for_the_channel_adapter():
    uow = FakeUow([row()])
    assert await handlers.deliver_in_channel(uow, now=NOON_ALMATY, retry=DeliveryBackoff(), limit=10) == 1
    outbound, delivered = uow.announced
    assert outbound.event_type == "notification.outbound" and outbound.channel_message_id == "tg-1"
    assert outbound.text == "Subject\n\nBody" and delivered.event_type == "notification.delivered"


async def test_a_message_left_sending_is_sent_again_under_its_id_or_left_in_doubt_by_the_channel_policy():
    lease = timedelta(minutes=1)
    sms = FakeUow([], stale=[row(attempts=1)])
    assert await handlers.resolve_in_doubt(sms, channel="sms", now=NOON_ALMATY, lease=lease,
                                           policy=handlers.AT_LEAST_ONCE, limit=10) == 1
    [(_, attempt, outcome, reason, next_at)] = sms.ledger.attempts
    assert (attempt, outcome, next_at) == (2, "retry", NOON_ALMATY) and "same id" in reason
    email = FakeUow([], stale=[row(attempts=0)])
    await handlers.resolve_in_doubt(email, channel="email", now=NOON_ALMATY, lease=lease,
                                    policy=handlers.AT_MOST_ONCE, limit=10)
    [(_, attempt, outcome, reason, next_at)] = email.ledger.attempts
    assert (attempt, outcome, next_at) == (1, "in_doubt", None) and "not sent again" in reason
    assert email.announced == [], "nothing is announced for a message in doubt"


async def test_an_executors_queued_messages_go_as_one_digest_in_order_up_to_its_size():
    queued = [executor_row(f"A{i}") for i in range(5)]
    urgent_then_more = [executor_row("U", urgent=True), executor_row("after")]
    other = executor_row("B0", recipient="executor:almaly")
    uow, sender = FakeUow(queued + urgent_then_more + [other]), Sender()
    rows = await handlers.claim_for_sending(uow, channel="email", now=NOON_ALMATY, quiet_hours=None, limit=10,
                                            digests=DigestPolicy(size=4))
    assert [r.subject for r in rows] == ["A0", "A1", "A2", "A3", "B0"], "a digest holds at most its size"
    assert uow.ledger.digests == [(queued[0].notification_id, [r.notification_id for r in queued[1:4]])]
    outcomes = await handlers.send_all(sender, rows, renderer=Templates())
    assert outcomes == [None] * 5 and len(sender.sent) == 2
    digest_mail = next(m for m in sender.sent if m.template == "executor.digest")
    assert digest_mail.notification_id == queued[0].notification_id and "4" in digest_mail.subject
    assert [digest_mail.body.index(f"A{i}") for i in range(4)] == sorted(digest_mail.body.index(f"A{i}") for i in range(4))
    await handlers.record_outcomes(uow, rows, outcomes, channel="email", now=NOON_ALMATY, retry=DeliveryBackoff())
    assert [e.event_type for e in uow.announced] == ["notification.delivered"] * 5, "each notice delivered as itself"


async def test_an_urgent_message_is_never_digested_and_a_failed_digest_fails_each_of_its_notices():
    uow = FakeUow([executor_row("U", urgent=True), executor_row("next")])
    rows = await handlers.claim_for_sending(uow, channel="email", now=NOON_ALMATY, quiet_hours=None, limit=10,
                                            digests=DigestPolicy(size=10))
    assert [r.subject for r in rows] == ["U"] and not uow.ledger.digests
    failing = FakeUow([executor_row("A"), executor_row("B")])
    rows = await handlers.claim_for_sending(failing, channel="email", now=NOON_ALMATY, quiet_hours=None, limit=10,
                                            digests=DigestPolicy(size=10))
    outcomes = await handlers.send_all(Sender(DeliveryError("SMTP 451")), rows, renderer=Templates())
    assert [str(o) for o in outcomes] == ["SMTP 451", "SMTP 451"]
