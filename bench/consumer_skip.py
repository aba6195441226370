"""``make bench-skip``: what a consumer saves by not parsing the event types it does not handle.

Every service reads whole topics, and a topic carries more event types than any one reader
handles: the deadline tracker reads six topics and handles ten of their types. Since the inbound
tables (``appeals_runtime.inbound``), a record whose ``ce_type`` header names a known type its
subscription leaves out is acknowledged unread. This measures the consumer's parsing step (the
envelope read and validated, the event model built, a processing span started) over the records
of N appeals' lives as each service's topics carry them, twice in the same run: parsing every
record (the baseline, as before the tables) and skipping what the service's AsyncAPI document
says it does not handle. Prints CPU seconds per 1,000 appeals for both and their ratio, per
service. Not a test.

One appeal's life on the topics: registered, assigned, taken by an employee (assignee changed),
answered, the answer accepted, three notices delivered and, for one appeal in ten, a delivery
failed; one in five gets a deadline reminder, all of them a deadline scheduled and closed.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka.structs import ConsumerRecord

from appeals_contracts.base import Event
from appeals_contracts.envelope import Envelope
from appeals_contracts.events import (
    AnswerAccepted,
    AppealAnswered,
    AppealAssigned,
    AppealAssigneeChanged,
    AppealRegistered,
    DeadlineApproaching,
    DeadlineClosed,
    DeadlineScheduled,
    NotificationDelivered,
    NotificationDeliveryFailed,
)
from appeals_contracts.topics import topic_for_event
from appeals_runtime.asyncapi import receives
from appeals_runtime.consumer import EventConsumer
from appeals_runtime.settings import ServiceSettings

ROOT = Path(__file__).parents[1]
SERVICES = ("intake", "routing", "deadline-tracker", "notification", "inspection")
T0 = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def life(appeal_id: uuid.UUID, n: int, rng: random.Random) -> Iterator[Event]:
    """One appeal's events, as the services announce them (personal data left out: none is read)."""
    number, executor, answer_id = f"OA-2026-{n:08d}", "almaly_akimat", uuid.uuid4()
    at = T0 + timedelta(seconds=n)
    due = at + timedelta(days=15)
    yield AppealRegistered(appeal_id=appeal_id, registration_number=number, channel="portal",
                           channel_message_id=f"m-{n}", kind="complaint", category="landscaping", district="almaly",
                           text="A bench in the park is broken.", language="ru", anonymous=True, registered_at=at)
    yield AppealAssigned(appeal_id=appeal_id, registration_number=number, executor_code=executor,
                         reason="routing_rule", category="landscaping", district="almaly", assigned_at=at)
    yield DeadlineScheduled(appeal_id=appeal_id, policy_code="standard", regime="working_days", registered_at=at,
                            due_at=due, scheduled_at=at)
    yield AppealAssigneeChanged(appeal_id=appeal_id, registration_number=number, executor_code=executor,
                                employee_id="emp-1", employee_name="Данияр", assigned_by="emp-1",
                                changed_at=at + timedelta(hours=1))
    if rng.random() < 0.2:
        yield DeadlineApproaching(appeal_id=appeal_id, due_at=due, remind_at=due - timedelta(days=2))
    answered = at + timedelta(days=3)
    yield AppealAnswered(appeal_id=appeal_id, answer_id=answer_id, executor_code=executor, employee_id="emp-1",
                         text="The bench was repaired.", language="ru", submitted_at=answered, received_at=answered)
    yield AnswerAccepted(appeal_id=appeal_id, answer_id=answer_id, executor_code=executor, employee_id="emp-1",
                         inspector_id="insp-1", decided_at=answered + timedelta(hours=2),
                         answer_text="The bench was repaired.", answer_language="ru", answer_submitted_at=answered)
    yield DeadlineClosed(appeal_id=appeal_id, due_at=due, answered_at=answered, on_time=True,
                         closed_at=answered + timedelta(hours=2))
    for template in ("citizen.registered", "citizen.assigned", "citizen.answered"):
        yield NotificationDelivered(notification_id=uuid.uuid4(), appeal_id=appeal_id, delivery_channel="sms",
                                    template=template, attempts=1, delivered_at=at + timedelta(minutes=5))
    if rng.random() < 0.1:
        yield NotificationDeliveryFailed(notification_id=uuid.uuid4(), appeal_id=appeal_id, delivery_channel="email",
                                         template="citizen.answered", attempts=5, reason="mailbox full",
                                         failed_at=at + timedelta(minutes=30))


def records(appeals: int) -> list[ConsumerRecord]:
    rng = random.Random(7)
    out: list[ConsumerRecord] = []
    for n in range(appeals):
        appeal_id = uuid.UUID(int=rng.getrandbits(128))
        for event in life(appeal_id, n, rng):
            envelope = Envelope.wrap(event, source="/bench", subject=str(appeal_id), time=T0)
            value = envelope.kafka_value()
            out.append(ConsumerRecord(topic=topic_for_event(event.event_type).name, partition=0, offset=len(out),
                                      timestamp=0, timestamp_type=0, key=str(appeal_id).encode(), value=value,
                                      checksum=None, serialized_key_size=36, serialized_value_size=len(value),
                                      headers=tuple(envelope.kafka_headers())))
    return out


def cpu_seconds(step: Callable[[], None], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        step()
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--appeals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the least CPU time counts")
    args = parser.parse_args()
    every = records(args.appeals)
    print(f"{args.appeals:,} appeals, {len(every):,} records on the services' topics; CPU seconds per 1,000 appeals "
          f"(best of {args.repeat})")
    print(f"{'service':<18}{'records read':>14}{'skipped':>10}{'parse all':>12}{'skip':>10}{'ratio':>8}")
    for service in SERVICES:
        read = receives(json.loads((ROOT / "docs" / "asyncapi" / f"{service}.json").read_text("utf-8")))
        mine = [r for r in every if r.topic in read]
        handles = frozenset().union(*read.values())
        consumer = EventConsumer(ServiceSettings(service_name=service), unit_of_work=None,  # type: ignore[arg-type]
                                 publisher=None)  # type: ignore[arg-type]

        def parse_all() -> None:
            for span in consumer._parse(mine)[1]:
                span.end()

        def parse_handled() -> None:
            for span in consumer._parse(mine, handles)[1]:
                span.end()

        baseline, skipping = cpu_seconds(parse_all, args.repeat), cpu_seconds(parse_handled, args.repeat)
        consumer.stats.skipped = 0
        parse_handled()
        per = 1000 / args.appeals
        print(f"{service:<18}{len(mine):>14,}{consumer.stats.skipped:>10,}{baseline * per:>12.3f}{skipping * per:>10.3f}"
              f"{skipping / baseline if baseline else 0:>8.2f}")


if __name__ == "__main__":
    main()
