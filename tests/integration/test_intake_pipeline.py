"""Intake as a real process on the real broker and PostgreSQL: registration at volume,
exact resubmissions, invalid submissions, a SIGKILL part-way, malformed records."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families
import pytest

from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, header, produce, read_to_end, read_topic, submission, submission_record

pytestmark = pytest.mark.integration

INTAKE = next(s for s in SERVICES if s.name == "intake")


@pytest.fixture
def intake(stack: StackInfo, tmp_path):
    process = ServiceProcess(INTAKE, stack, tmp_path).start()
    process.wait_ready()
    yield process
    process.stop()


def _invalid(run: str, i: int):
    """Twenty kinds of domain-invalid submissions, each with a known reason."""
    variants = [
        dict(category="no_such_category"),
        dict(kind="petition"),
        dict(district="astana"),
        dict(text="short"),
        dict(language="de"),
        dict(citizen=None),
        dict(citizen={"name": "A", "iin": "900101300008", "phone": "+77011234567"}),
        dict(citizen={"name": "A", "phone": "12"}),
        dict(citizen={"name": "A", "email": "not-an-email"}),
        dict(channel="fax"),
    ]
    return submission(f"{run}-bad-{i}", **variants[i % len(variants)])


async def test_thousand_submissions_with_repeats_invalid_and_a_crash(stack: StackInfo, intake: ServiceProcess):
    run = uuid.uuid4().hex[:8]
    valid = [submission(f"{run}-ok-{i}", category=("social_aid", "education", "benefits")[i % 3])
             for i in range(950)]
    repeats = [valid[i * 19] for i in range(50)]  # exact resubmissions, same channel message id
    invalid = [_invalid(run, i) for i in range(20)]
    records = [submission_record(e) for e in valid[:400] + repeats[:20] + invalid[:10]]
    later = [submission_record(e) for e in valid[400:] + repeats[20:] + invalid[10:]]

    db = await asyncpg.connect(stack.database_url("intake"))

    async def registered_count() -> int:
        return await db.fetchval("SELECT count(*) FROM appeals WHERE channel_message_id LIKE $1", f"{run}-%")

    await produce(stack.bootstrap_servers, "appeals.intake.v1", records)
    await eventually(lambda: _at_least(registered_count, 100), timeout_s=90, what="100 registered")
    intake.kill()  # a crash part-way: no graceful shutdown, no outbox flush
    await produce(stack.bootstrap_servers, "appeals.intake.v1", later)
    intake.start().wait_ready()
    await eventually(lambda: _equals(registered_count, 950), timeout_s=90, what="950 registered")

    def mine(r) -> bool:
        return json.loads(r.value).get("channel_message_id", "").startswith(f"{run}-")

    registered = await read_topic(stack.bootstrap_servers, "appeals.registered.v1",
                                  until=lambda rs: len({header(r, "ce_id") for r in rs if mine(r)}) >= 950)
    registered = [r for r in registered if mine(r)]
    by_event = {header(r, "ce_id"): json.loads(r.value) for r in registered}
    assert len(by_event) == 950, "one registered event per appeal (redeliveries share the event id)"
    numbers = {p["registration_number"] for p in by_event.values()}
    assert len(numbers) == 950
    assert len({p["appeal_id"] for p in by_event.values()}) == 950
    assert all(n.startswith("OA-") and len(n.split("-")[2]) == 8 for n in numbers)
    assert all(r.key.decode() == json.loads(r.value)["appeal_id"] for r in registered), "keyed by appeal id"

    rejected = await read_topic(stack.bootstrap_servers, "appeals.intake-rejected.v1",
                                until=lambda rs: len({r.key for r in rs if r.key.decode().split(":", 1)[1].startswith(f"{run}-")}) >= 20)
    rejected = {r.key: json.loads(r.value) for r in rejected if r.key.decode().split(":", 1)[1].startswith(f"{run}-")}
    assert len(rejected) == 20
    assert all(p["reasons"] and all(reason["message"] for reason in p["reasons"]) for p in rejected.values())

    assert await db.fetchval("SELECT count(*) FROM appeals WHERE channel_message_id LIKE $1", f"{run}-%") == 950
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    await db.close()
    dlq = await read_to_end(stack.bootstrap_servers, "appeals.intake.v1.dlq.intake")
    assert not [r for r in dlq if (r.key or b"").decode().split(":", 1)[-1].startswith(f"{run}-")]


async def _at_least(count, n):
    return await count() >= n


async def _equals(count, n):
    return await count() == n


async def test_malformed_records_go_to_the_dead_letter_topic_and_the_consumer_goes_on(
        stack: StackInfo, intake: ServiceProcess):
    run = uuid.uuid4().hex[:8]
    good_key, good_value, good_headers = submission_record(submission(f"{run}-after"))
    not_json = (f"x:{run}-1".encode(), b"{not json", good_headers)
    wrong_schema_headers = [(k, v) for k, v in good_headers if k != "ce_id"] + [("ce_id", str(uuid.uuid4()).encode())]
    wrong_schema = (f"x:{run}-2".encode(), json.dumps({"channel": "portal", "text": 5}).encode(), wrong_schema_headers)
    no_headers = (f"x:{run}-3".encode(), good_value, [])
    binary_source = (f"x:{run}-4".encode(), good_value,
                     [(k, b"\xff\xfe" if k == "ce_source" else v) for k, v in good_headers])
    # A header of the adapter's own that is not text (a signature, say) is none of the envelope's
    # business; FastStream's parser once failed the whole batch on it, and the batch was lost.
    _, other_value, other_headers = submission_record(submission(f"{run}-binary-header"))
    binary_extra = (good_key, other_value, [*other_headers, ("x-signature", b"\x00\xff"), ("x-null", None)])
    # same partition as the good record, so "goes on" means the very next record
    await produce(stack.bootstrap_servers, "appeals.intake.v1",
                  [(good_key, v, h) for _, v, h in (not_json, wrong_schema, no_headers, binary_source)]
                  + [binary_extra, (good_key, good_value, good_headers)])

    dead = await read_topic(stack.bootstrap_servers, "appeals.intake.v1.dlq.intake",
                            until=lambda rs: sum(r.key == good_key for r in rs) >= 4)
    dead = [r for r in dead if r.key == good_key]
    reasons = sorted(header(r, "dlq_reason") for r in dead)
    assert len(dead) == 4
    assert any("not JSON" in r for r in reasons)
    assert any("does not fit" in r and "channel_message_id" in r for r in reasons)
    assert any("missing CloudEvents headers" in r for r in reasons)
    assert "header ce_source is not UTF-8" in reasons
    assert all(header(r, "dlq_original_topic") == "appeals.intake.v1" for r in dead)
    assert all("Test Citizen" not in header(r, "dlq_reason") for r in dead)

    registered = await read_topic(
        stack.bootstrap_servers, "appeals.registered.v1",
        until=lambda rs: any(json.loads(r.value)["channel_message_id"] == f"{run}-after" for r in rs))
    assert {f"{run}-after", f"{run}-binary-header"} <= {json.loads(r.value)["channel_message_id"] for r in registered}

    # The same story in the service's metrics (a fresh process: its counters are this test's).
    def scrape() -> dict[tuple[str, tuple], float]:
        reply = httpx.get(f"{intake.base_url}/metrics", headers=stack.bearer("sre-1", "sre"), timeout=10)
        assert reply.status_code == 200
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(reply.text) for s in family.samples}

    consumer = (("consumer", "intake.appeals.intake.v1"), ("topic", "appeals.intake.v1"))
    numbers = scrape()
    assert numbers[("appeals_dead_letters_total", consumer)] == 4
    assert numbers[("appeals_events_handled_total", (*consumer[:1], ("event_type", "appeal.submitted"),
                                                      consumer[1]))] == 2
    assert numbers[("appeals_task_up", (("task", "outbox-relay"),))] == 1
    await eventually(lambda: scrape().get(("appeals_outbox_backlog_rows", ())) == 0 and
                     scrape().get(("appeals_relay_leader", ())) == 1, what="the outbox drained by the active relay")
    assert httpx.get(f"{intake.base_url}/metrics", timeout=10).status_code == 401, "metrics need the sre role"
    assert not any(run in line for line in httpx.get(f"{intake.base_url}/metrics", timeout=10,
                                                     headers=stack.bearer("sre-1", "sre")).text.splitlines())
