"""`appeals dlq`: a record dead-lettered for a reason fixed upstream is found, shown without its
payload, and replayed; applied once however often it is replayed. A purge deletes on Apache
Kafka and is refused plainly by the embedded broker.

`make test` runs this module on both engines: on Apache Kafka the command runs as the on-call
engineer's own principal (``appeals-operator``, SASL_SSL) with the ACLs in force."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import uuid
from unittest import mock
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealNotRouted, AppealRegistered
from appeals_deadlines.adapters.data_files import bundled
from appeals_ops import cli as trace_cli
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, header, produce, read_to_end
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration
TRACKER = next(s for s in SERVICES if s.name == "deadline-tracker")


def dlq(stack: StackInfo, *args: str) -> tuple[int, str, str]:
    """``appeals dlq ...`` as the on-call engineer runs it: on Apache Kafka with the KAFKA_*
    settings of ``appeals-operator``; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    env = stack.principal_env("appeals-operator") if stack.apache_kafka_dir else {}
    where = [] if env else ["--bootstrap-servers", stack.bootstrap_servers]
    with mock.patch.dict(os.environ, env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = trace_cli.main(["dlq", *args, *where])
    return code, out.getvalue(), err.getvalue()


async def appeals(*args: str, stack: StackInfo) -> str:
    """``appeals dlq ...``, which must succeed (in a thread: it runs its own event loop)."""
    code, out, err = await asyncio.to_thread(dlq, stack, *args)
    assert code == 0, err
    return out


async def test_a_record_fixed_upstream_is_replayed_and_applied_once(stack: StackInfo, tmp_path: Path):
    appeal = uuid.uuid4()
    event = AppealRegistered(appeal_id=appeal, registration_number=f"OA-2019-{appeal.hex[:8]}",
                             channel="social_network", social_network="telegram",
                             channel_message_id=appeal.hex, kind="complaint", category="road_repair",
                             text="Pothole", language="ru", citizen=None, anonymous=True,
                             registered_at=datetime(2019, 12, 30, 6, tzinfo=UTC))
    envelope = Envelope.wrap(event, source="/services/intake", subject=str(appeal), time=Clock().now())
    tracker = ServiceProcess(TRACKER, stack, tmp_path / "before").start()
    tracker.wait_ready(timeout_s=90)
    try:
        await produce(stack.bootstrap_servers, "appeals.registered.v1",
                      [(str(appeal).encode(), envelope.kafka_value(), envelope.kafka_headers())])

        async def listed() -> str | None:
            text = await appeals("list", "--service", "deadline-tracker", "--reason", "2019", stack=stack)
            return text if appeal.hex in text or "calendar for 2019" in text else None

        text = await eventually(listed, what="the dead letter listed")
        assert "appeals.registered.v1.dlq.deadline-tracker" in text and "no working-day calendar for 2019" in text
    finally:
        tracker.stop()
    letters = [l for l in await read_to_end(stack.bootstrap_servers, "appeals.registered.v1.dlq.deadline-tracker")
               if l.key == str(appeal).encode()]
    at = f"appeals.registered.v1.dlq.deadline-tracker:{letters[0].partition}:{letters[0].offset}"
    shown = await appeals("show", "--at", at, stack=stack)
    assert "dlq_reason: " in shown and "Pothole" not in shown, "no payload unless asked"
    assert "Pothole" in await appeals("show", "--at", at, "--with-payload", stack=stack)

    # Fixed upstream: a calendar that knows 2019. Replayed twice; the inbox applies it once.
    calendar = yaml.safe_load(bundled("kz_calendar.yaml").read_text("utf-8"))
    calendar["years"][2019] = {"days_off": [{"date": "2019-12-31", "name": "test"}]}
    (tmp_path / "calendar.yaml").write_text(yaml.safe_dump(calendar), "utf-8")
    tracker = ServiceProcess(TRACKER, stack, tmp_path / "after",
                             extra_env={"CALENDAR_FILE": str(tmp_path / "calendar.yaml")}).start()
    tracker.wait_ready(timeout_s=90)
    try:
        for _ in range(2):
            assert "replayed 1 records" in await appeals("replay", "--service", "deadline-tracker", "--reason", "2019",
                                                   "--topic", "appeals.registered.v1", "--yes", stack=stack)

        async def scheduled() -> list:
            records = await read_to_end(stack.bootstrap_servers, "appeals.deadlines.v1")
            return [r for r in records if r.key == str(appeal).encode()
                    and header(r, "ce_type") == "deadline.scheduled"] or None

        await eventually(scheduled, what="the replayed registration scheduled")
        # The second replay reached the tracker too: its inbox counted it as a duplicate.
        await eventually(lambda: _duplicates(tracker) >= 1, what="the second replay absorbed")
        assert len(await scheduled()) == 1, "applied once, however often replayed"
        # As routing would have decided for an anonymous appeal: no executor, no open deadline
        # left behind for the other tests' reports.
        not_routed = Envelope.wrap(AppealNotRouted(appeal_id=appeal, registration_number=event.registration_number,
                                                   reason="anonymous_without_threat",
                                                   decided_at=Clock().now()),
                                   source="/services/routing", subject=str(appeal), time=Clock().now())
        await produce(stack.bootstrap_servers, "appeals.assigned.v1",
                      [(str(appeal).encode(), not_routed.kafka_value(), not_routed.kafka_headers())])
    finally:
        tracker.stop()


def _duplicates(tracker: ServiceProcess) -> float:
    reply = httpx.get(f"{tracker.base_url}/metrics", timeout=10, headers=tracker.stack.bearer("sre-1", "sre"))
    return sum(s.value for f in text_string_to_metric_families(reply.text) for s in f.samples
               if s.name == "appeals_events_duplicate_total" and s.labels.get("topic") == "appeals.registered.v1")


async def test_purge_deletes_on_apache_kafka_and_the_embedded_broker_refuses_plainly(stack: StackInfo):
    """Which letters a purge deletes is proven in the runtime's unit tests (Kafka cuts a
    partition below an offset). Apache Kafka deletes them (DeleteRecords, allowed to the
    on-call's principal on the dead-letter topics only); the embedded broker does not delete
    records at all, so there the command says so, exits non-zero and nothing is lost."""
    tag = uuid.uuid4().hex[:8]
    dlq_topic = "appeals.inspections.v1.dlq.intake"

    def letter(n: int, reason: str) -> tuple[bytes, bytes, list]:
        return (b"one-partition", f'{{"n": {n}}}'.encode(), [
            ("dlq_reason", f"{reason} {tag}".encode()), ("dlq_service", b"intake"),
            ("dlq_original_topic", b"appeals.inspections.v1"),
            ("dlq_failed_at", Clock().now().isoformat().encode())])

    await produce(stack.bootstrap_servers, dlq_topic, [letter(0, "fixed upstream"), letter(1, "fixed upstream"),
                                                       letter(2, "still open"), letter(3, "fixed upstream")])
    before = len(await read_to_end(stack.bootstrap_servers, dlq_topic))
    assert "would delete 3 dead letters" in await appeals("purge", "--service", "intake", "--reason",
                                                          f"fixed upstream {tag}", stack=stack)
    code, said, complaint = await asyncio.to_thread(dlq, stack, "purge", "--service", "intake", "--reason",
                                                    f"fixed upstream {tag}", "--yes")
    left = await read_to_end(stack.bootstrap_servers, dlq_topic)
    if stack.apache_kafka_dir:
        # Kafka cuts a partition below an offset: the two letters before "still open" go; the one
        # after it stays with it.
        assert code == 0 and "deleted 2 dead letters; kept 1 that follow a record not chosen" in said, complaint
        assert len(left) == before - 2
        assert [r.value for r in left[-2:]] == [b'{"n": 2}', b'{"n": 3}']
        listed = await appeals("list", "--service", "intake", stack=stack)
        assert f"still open {tag}" in listed and listed.count(tag) == 2
    else:
        assert code == 1 and "nothing deleted" in complaint and "DeleteRecords" in complaint
        assert len(left) == before
