"""Intake and routing as processes on the real broker and PostgreSQL: 500 appeals routed by
the rule table, a portal reading only its own assignments, executor actions checked, and a
SIGKILL of routing part-way."""

from __future__ import annotations

import itertools
import json
import uuid

import asyncpg
import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import ExecutorAnswerSubmitted, ExecutorExtensionRequested, ExecutorReassignmentRequested
from appeals_contracts.reference import load_reference
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import (
    eventually,
    expected_executor,
    header,
    produce,
    read_topic,
    submission,
    submission_record,
)
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(stack: StackInfo, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("routing-flow")
    processes = {s.name: ServiceProcess(s, stack, log_dir).start() for s in SERVICES if s.name in ("intake", "routing")}
    for p in processes.values():
        p.wait_ready()
    yield processes
    for p in processes.values():
        p.stop()




def action_record(stack: StackInfo, event, signer: str | None = None) -> tuple[bytes, bytes, list]:
    """The action as the portal of ``signer`` (by default the executor it names) publishes it."""
    envelope = Envelope.wrap(event, source="/portals/test", subject=str(event.appeal_id), time=Clock().now())
    signer = signer or event.executor_code
    if signer not in load_reference().executors.codes:  # an unknown executor has no portal key
        return str(event.appeal_id).encode(), envelope.kafka_value(), envelope.kafka_headers()
    return stack.signed_action(signer, envelope)


async def test_routing_end_to_end(stack: StackInfo, services: dict[str, ServiceProcess]):
    run = uuid.uuid4().hex[:8]
    ref = load_reference()
    combos = list(itertools.product(sorted(ref.categories.codes), [*sorted(ref.districts.codes), None]))
    subs = [submission(f"{run}-{i}", category=c, district=d) for i, (c, d) in enumerate(itertools.islice(itertools.cycle(combos), 500))]
    routing_db = await asyncpg.connect(stack.database_url("routing"))

    async def routed() -> int:
        return await routing_db.fetchval(
            "SELECT count(*) FROM appeals a JOIN assignments s USING (appeal_id) WHERE a.registration_number = ANY($1)",
            numbers) if numbers else 0

    numbers: list[str] = []
    await produce(stack.bootstrap_servers, "appeals.intake.v1", [submission_record(s) for s in subs[:250]])
    registered = await read_topic(stack.bootstrap_servers, "appeals.registered.v1",
                                  until=lambda rs: sum(json.loads(r.value)["channel_message_id"].startswith(f"{run}-") for r in rs) >= 250)
    numbers = [json.loads(r.value)["registration_number"] for r in registered
               if json.loads(r.value)["channel_message_id"].startswith(f"{run}-")]
    await eventually(lambda: _gt(routed, 20), "routing to catch up", timeout_s=120)
    services["routing"].kill()  # mid-run
    await produce(stack.bootstrap_servers, "appeals.intake.v1", [submission_record(s) for s in subs[250:]])
    services["routing"].start().wait_ready()

    def mine(r) -> bool:
        return json.loads(r.value)["channel_message_id"].startswith(f"{run}-")

    registered = [r for r in await read_topic(stack.bootstrap_servers, "appeals.registered.v1",
                                              until=lambda rs: sum(map(mine, rs)) >= 500) if mine(r)]
    appeals = {json.loads(r.value)["appeal_id"]: json.loads(r.value) for r in registered}
    assert len(appeals) == 500

    assigned = await read_topic(stack.bootstrap_servers, "appeals.assigned.v1",
                                until=lambda rs: len({json.loads(r.value)["appeal_id"] for r in rs} & set(appeals)) >= 500)
    assigned = [r for r in assigned if json.loads(r.value)["appeal_id"] in appeals]
    by_appeal: dict[str, set[str]] = {}
    for r in assigned:
        by_appeal.setdefault(json.loads(r.value)["appeal_id"], set()).add(header(r, "ce_id"))
    assert all(len(ids) == 1 for ids in by_appeal.values()), "each appeal is assigned exactly once"
    for r in assigned:
        p = json.loads(r.value)
        a = appeals[p["appeal_id"]]
        assert p["executor_code"] == expected_executor(a["category"], a["district"]), a["registration_number"]
        assert header(r, "ce_executor") == p["executor_code"]
        assert r.key.decode() == p["appeal_id"]
    assert await routing_db.fetchval("SELECT count(*) FROM assignments WHERE appeal_id = ANY($1::uuid[])",
                                     list(appeals)) == 500

    # A portal, as an outside team would write it: plain aiokafka, filtering on the header.
    portal_records = await read_topic(stack.bootstrap_servers, "appeals.assigned.v1",
                                      until=lambda rs: len(rs) >= len(assigned))
    medeu = {json.loads(r.value)["appeal_id"] for r in portal_records if header(r, "ce_executor") == "medeu_akimat"}
    expected_medeu = {i for i, a in appeals.items() if expected_executor(a["category"], a["district"]) == "medeu_akimat"}
    assert medeu & set(appeals) == expected_medeu and expected_medeu

    # A reassignment and an answer round-trip.
    appeal_id = next(i for i, a in appeals.items() if expected_executor(a["category"], a["district"]) == "mobility_dept")
    now = Clock().now()
    await produce(stack.bootstrap_servers, "appeals.executor-actions.v1", [action_record(stack, ExecutorReassignmentRequested(
        action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code="mobility_dept", employee_id="md-17",
        reason="Local road: district competence", suggested_executor_code="almaly_akimat", requested_at=now))])
    answer_id = uuid.uuid4()
    await produce(stack.bootstrap_servers, "appeals.executor-actions.v1", [action_record(stack, ExecutorAnswerSubmitted(
        action_id=answer_id, appeal_id=appeal_id, executor_code="almaly_akimat", employee_id="al-4",
        text="The pothole was repaired on 25 November.", language="ru", submitted_at=now))])
    answered = await read_topic(stack.bootstrap_servers, "appeals.answered.v1",
                                until=lambda rs: any(json.loads(r.value)["answer_id"] == str(answer_id) for r in rs))
    assert any(json.loads(r.value)["answer_id"] == str(answer_id) for r in answered)
    # Distinct events only: a relay killed after publishing and before marking may publish a
    # row again with the same event id (consumers' inboxes make that harmless).
    reassigned = list({header(r, "ce_id"): json.loads(r.value) for r in await read_topic(
        stack.bootstrap_servers, "appeals.assigned.v1",
        until=lambda rs: any(json.loads(r.value)["appeal_id"] == appeal_id and json.loads(r.value)["reason"] == "reassignment" for r in rs))
        if json.loads(r.value)["appeal_id"] == appeal_id}.values())
    assert [p["executor_code"] for p in reassigned] == ["mobility_dept", "almaly_akimat"]
    assert reassigned[1]["previous_executor_code"] == "mobility_dept"

    # Ten invalid actions, each refused with a reason.
    other = next(i for i in appeals if i != appeal_id)
    other_executor = expected_executor(appeals[other]["category"], appeals[other]["district"])
    invalid = [
        ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code="mobility_dept",
                                employee_id="md-17", text="Done", language="ru", submitted_at=now),
        ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.uuid4(), executor_code="medeu_akimat",
                                employee_id="m-1", text="Done", language="ru", submitted_at=now),
        ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=other, executor_code=other_executor,
                                employee_id="e-1", text="   ", language="ru", submitted_at=now),
        ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=other, executor_code=other_executor,
                                employee_id="e-1", text="Done", language="de", submitted_at=now),
        ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=other, executor_code="no_such_executor",
                                employee_id="e-1", text="Done", language="ru", submitted_at=now),
        ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=other, executor_code=other_executor,
                                employee_id=" ", text="Done", language="ru", submitted_at=now),
        ExecutorExtensionRequested(action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code="mobility_dept",
                                   employee_id="md-17", reason="Site visit", requested_at=now),
        ExecutorExtensionRequested(action_id=uuid.uuid4(), appeal_id=other, executor_code=other_executor,
                                   employee_id="e-1", reason=" ", requested_at=now),
        ExecutorReassignmentRequested(action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code="mobility_dept",
                                      employee_id="md-17", reason="Not ours", requested_at=now),
        ExecutorReassignmentRequested(action_id=uuid.uuid4(), appeal_id=other, executor_code=other_executor,
                                      employee_id="e-1", reason="  ", requested_at=now),
    ]
    malformed_id = uuid.uuid4()
    key, value, headers = action_record(stack, invalid[0])
    malformed = json.loads(value)
    malformed.update(action_id=str(malformed_id))
    del malformed["text"]
    await produce(stack.bootstrap_servers, "appeals.executor-actions.v1",
                  [action_record(stack, a) for a in invalid] + [(key, json.dumps(malformed).encode(), headers)])
    wanted = {str(a.action_id) for a in invalid} | {str(malformed_id)}
    rejected = await read_topic(stack.bootstrap_servers, "appeals.executor-actions-rejected.v1",
                                until=lambda rs: wanted <= {json.loads(r.value)["action_id"] for r in rs})
    reasons = {json.loads(r.value)["action_id"]: json.loads(r.value)["reason"] for r in rejected
               if json.loads(r.value)["action_id"] in wanted}
    assert set(reasons) == wanted and all(reasons.values())
    assert reasons[str(malformed_id)].startswith("malformed action:") and "text" in reasons[str(malformed_id)]

    # A portal cannot pass for another executor: signed with another executor's key, or not
    # signed at all, the action is refused with the reason and changes nothing.
    forged, unsigned = (ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=appeal_id,
                                                executor_code="almaly_akimat", employee_id="al-4",
                                                text="Closed, trust me.", language="ru", submitted_at=now)
                        for _ in range(2))
    plain = Envelope.wrap(unsigned, source="/portals/test", subject=appeal_id, time=Clock().now())
    await produce(stack.bootstrap_servers, "appeals.executor-actions.v1", [
        action_record(stack, forged, signer="mobility_dept"),
        (appeal_id.encode(), plain.kafka_value(), plain.kafka_headers())])
    forged_ids = {str(forged.action_id), str(unsigned.action_id)}
    refusals = {json.loads(r.value)["action_id"]: json.loads(r.value)["reason"] for r in await read_topic(
        stack.bootstrap_servers, "appeals.executor-actions-rejected.v1",
        until=lambda rs: forged_ids <= {json.loads(r.value)["action_id"] for r in rs})}
    assert "does not verify with a key of executor 'almaly_akimat'" in refusals[str(forged.action_id)]
    assert refusals[str(unsigned.action_id)] == "the action is not signed"
    dead = await read_topic(stack.bootstrap_servers, "appeals.executor-actions.v1.dlq.routing",
                            until=lambda rs: any(str(malformed_id) in r.value.decode() for r in rs))
    assert any(str(malformed_id) in r.value.decode() for r in dead), "kept for the SRE as well"
    history = await routing_db.fetchval("SELECT count(*) FROM assignments WHERE appeal_id = $1", uuid.UUID(appeal_id))
    assert history == 2, "refused actions change nothing"
    await routing_db.close()

    # Each employee's action is in the audit trail, refusals with their reason; inspectors read it.
    routing = services["routing"]
    trail = httpx.get(f"{routing.base_url}/v1/appeals/{appeal_id}/audit", timeout=10,
                      headers=stack.bearer("insp-1", "inspector")).json()
    assert [(e["actor"], e["outcome"]) for e in trail][:2] == [("md-17", "reassigned to almaly_akimat"),
                                                               ("al-4", "answered")]
    assert any(e["actor"] == "md-17" and e["outcome"].startswith("refused:") for e in trail)
    executor = stack.bearer("md-17", "executor", executor_code="mobility_dept")
    assert httpx.get(f"{routing.base_url}/v1/appeals/{appeal_id}/audit", headers=executor, timeout=10).status_code == 403
    # An executor reads its own appeals only: another's is answered like an unknown one.
    stranger = stack.bearer("x-1", "executor", executor_code="turksib_akimat")
    assert httpx.get(f"{routing.base_url}/v1/appeals/{appeal_id}/assignments", headers=stranger,
                     timeout=10).status_code == 404
    assert httpx.get(f"{routing.base_url}/v1/appeals/{appeal_id}/assignments", headers=executor,
                     timeout=10).status_code == 200, "mobility_dept held it before the reassignment"
    assert httpx.get(f"{routing.base_url}/v1/executors/almaly_akimat/assignments", headers=executor,
                     timeout=10).status_code == 403


async def _gt(count, n) -> bool:
    return await count() > n
