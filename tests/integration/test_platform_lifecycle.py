"""The whole platform: the five services as processes on the embedded stack, with the local
mail and SMS sinks `make run` uses. One appeal goes submitted → registered → assigned →
deadline scheduled → citizen notified → answered → returned → answered again → accepted →
deadline closed → citizen gets the answer, and the citizen's status shows each step in order."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import email
import email.policy
import os
import re
import uuid
from zoneinfo import ZoneInfo
from pathlib import Path

import asyncpg
import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import ExecutorAnswerSubmitted
from appeals_ops import cli as trace_cli
from appeals_devstack.choice import test_stack as fresh_stack
from appeals_devstack.demo import Demo
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.sinks import MailSink, SmsSink
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import VALID_IIN, eventually, produce, read_to_end, submission
from appeals_runtime.trace_files import appeal_traces, read_spans
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def platform_stack():
    """A stack of its own, as on a fresh machine: the session's stack carries consumer groups
    that earlier tests killed members of, which a broker may keep for a while."""
    state_dir = Path(os.environ.get("APPEALS_TEST_STATE_DIR", Path(__file__).parents[2] / ".state" / "test"))
    with fresh_stack(state_dir.with_name(state_dir.name + "-platform")) as info:
        yield info


@pytest.fixture(scope="module")
def platform(platform_stack: StackInfo, tmp_path_factory):
    stack = platform_stack
    root = tmp_path_factory.mktemp("platform")
    mail, sms = MailSink(root / "mail").start(), SmsSink(root / "sms.jsonl").start()
    env = {"notification": {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail.port), "SMS_GATEWAY_URL": sms.url,
                            "SMS_QUIET_HOURS": "", "DELIVERY_POLL_INTERVAL_S": "0.2"}}
    tracing = {"OTEL_TRACES_EXPORTER": "file", "APPEALS_TRACE_DIR": str(root / "traces"),
               "OTEL_BSP_SCHEDULE_DELAY": "200"}
    processes = {s.name: ServiceProcess(s, stack, root / "logs", extra_env={**tracing, **env.get(s.name, {})}).start()
                 for s in SERVICES}
    try:
        for p in processes.values():
            p.wait_ready(timeout_s=120)
        yield processes, mail, root / "traces"
    finally:
        for p in processes.values():
            p.stop()
        mail.stop()
        sms.stop()




async def test_one_appeal_through_all_five_services(platform_stack: StackInfo, platform):
    stack = platform_stack
    processes, mail, trace_dir = platform
    roles = {"intake": stack.bearer("op-1", "operator"), "inspection": stack.bearer("insp-1", "inspector"),
             "notification": stack.bearer("sre-1", "sre")}
    intake, inspection, notification = (httpx.AsyncClient(base_url=processes[n].base_url, timeout=30, headers=roles[n])
                                        for n in ("intake", "inspection", "notification"))
    address = f"citizen-{uuid.uuid4().hex[:6]}@example.org"
    created = await intake.post("/v1/appeals", json={
        "channel": "contact_centre", "channel_message_id": f"cc-{uuid.uuid4().hex[:8]}", "kind": "complaint",
        "category": "road_repair", "district": "medeu", "language": "ru", "text": "Яма на дороге у школы № 25.",
        "citizen": {"name": "Aigerim S.", "iin": VALID_IIN, "email": address, "preferred_language": "en"}})
    assert created.status_code == 201, created.text
    number, appeal_id = created.json()["registration_number"], created.json()["appeal_id"]

    async def status() -> dict:
        return (await intake.get(f"/v1/appeals/{number}")).json()

    assigned = await eventually(lambda: _when(status(), lambda s: s["executor_code"] and s["due_at"]), "assignment")
    executor = assigned["executor_code"]

    async def answer(text: str) -> uuid.UUID:
        return await _answer_in_queue(stack, inspection, executor, appeal_id, text)

    first = await answer("Мы посмотрим.")
    returned = await inspection.post(f"/v1/answers/{first}/return", json={
        "reason_code": "no_substance", "comment": "Say when the road is repaired"})
    assert returned.status_code == 200, returned.text
    await eventually(lambda: _when(status(), lambda s: s["status"] == "in_rework"), "in rework")
    second = await answer("Яма заделана 25 ноября.")
    accepted = await inspection.post(f"/v1/answers/{second}/accept")
    assert accepted.status_code == 200, accepted.text
    final = await eventually(lambda: _when(status(), lambda s: s["status"] == "closed"), "closed")
    assert final["answer"] == "Яма заделана 25 ноября." and final["answered_on_time"] is True

    steps = [e["event_type"] for e in final["timeline"]]
    wanted = ["appeal.registered", "appeal.assigned", "appeal.answered", "inspection.answer_returned",
              "appeal.answered", "inspection.answer_accepted", "deadline.closed"]
    assert [s for s in steps if s in wanted] == wanted
    assert steps.index("deadline.scheduled") > steps.index("appeal.registered")

    # Notifications: the citizen in English (preferred), the executor in the directory's language.
    async def ledger():
        rows = (await notification.get(f"/v1/appeals/{appeal_id}/notifications")).json()
        return rows if len(rows) == 5 and all(r["status"] == "delivered" for r in rows) else None
    rows = await eventually(ledger, "every notice delivered")
    assert sorted((r["audience"], r["template"]) for r in rows) == [
        ("citizen", "citizen.answer_accepted"), ("citizen", "citizen.assigned"), ("citizen", "citizen.registered"),
        ("executor", "executor.answer_returned"), ("executor", "executor.assigned")]
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in mail.directory.glob("*.eml")]
    mine = [m for m in messages if m["To"] == address]
    assert len(mine) == 3 and {m["Content-Language"] for m in mine} == {"en"}
    assert any("Яма заделана 25 ноября." in m.get_content() for m in mine)
    assert all(number in m["Subject"] + m.get_content() for m in mine)
    history = (await inspection.get(f"/v1/appeals/{appeal_id}")).json()
    assert [a["status"] for a in history["answers"]] == ["returned", "accepted"]

    # One trace holds the appeal's spans from all five services, database spans included.
    five = {s.name for s in SERVICES}

    # The portal's answers and the inspector's verdicts join that trace too, with what they cause.
    later = {("routing", "executor action"), ("inspection", "inspection verdict"),
             ("inspection", "appeals.answered.v1 process"), ("deadline-tracker", "appeals.inspections.v1 process"),
             ("notification", "appeals.inspections.v1 process"), ("intake", "appeals.inspections.v1 process")}

    async def traced():
        traces = appeal_traces(read_spans(trace_dir), number)
        return next((t for t in traces.values() if {s.service for s in t} >= five
                     and later <= {(s.service, s.name) for s in t}), None)
    spans = await eventually(traced, "one trace over the five services and the whole lifecycle", timeout_s=30)
    assert any(s.attributes.get("db.system") == "postgresql" for s in spans)
    assert all(address not in json.dumps(s.attributes) and VALID_IIN not in json.dumps(s.attributes) for s in spans)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert trace_cli.main(["trace", number, "--dir", str(trace_dir)]) == 0
    printed = out.getvalue()
    assert all(name in printed for name in five) and "POST /v1/appeals" in printed


async def _answer_in_queue(stack: StackInfo, inspection: httpx.AsyncClient, executor: str, appeal_id: str,
                           text: str, language: str = "ru") -> uuid.UUID:
    """The executor's portal answers (a signed action); the answer's id once it waits for review."""
    action = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.UUID(appeal_id), executor_code=executor,
                                     employee_id="emp-42", text=text, language=language, submitted_at=Clock().now())
    envelope = Envelope.wrap(action, source=f"/portals/{executor}", subject=appeal_id, time=Clock().now())
    await produce(stack.bootstrap_servers, "appeals.executor-actions.v1", [stack.signed_action(executor, envelope)])

    async def queued():
        rows = (await inspection.get("/v1/queue", params={"executor": executor})).json()
        return next((r for r in rows if r["appeal_id"] == appeal_id), None)
    return uuid.UUID((await eventually(queued, "the answer in the review queue"))["answer_id"])


async def _when(pending, condition):
    value = await pending
    return value if condition(value) else None


async def test_a_surge_converges(platform_stack: StackInfo, platform):
    """The demo's generator, about 180 appeals in half a minute: every stage's count converges."""
    processes, _mail, _traces = platform
    demo = Demo(platform_stack, processes["inspection"].base_url, rate=6.0, seed=7)
    converged = await demo.run(30, drain_timeout_s=150)
    counts = demo.progress.counts()
    assert converged, counts
    valid = len(demo.progress.sent_ids - demo.progress.invalid_ids)
    assert counts["registered"] == valid and counts["rejected"] == len(demo.progress.invalid_ids) > 0
    assert counts["submitted"] > len(demo.progress.sent_ids), "some duplicates were sent"
    assert counts["not_routed"] + counts["closed"] == counts["registered"]
    assert counts["assigned"] == counts["closed"] == counts["accepted"] and counts["returned"] > 0
    # The platform's clock judges timeliness, and every answer comes within the half minute.
    assert counts["late"] == 0 and counts["notified"] > 0


async def test_the_citizen_reopens_then_rates_and_the_reports_count_it(platform_stack: StackInfo, platform):
    """An accepted answer; the citizen says "not resolved" with their token; the appeal goes back
    to the executor with a new due time, is answered again and accepted; the citizen rates it 5.
    The scorecard and the weekly report show one reopening and the mean rating; a second
    verdict is refused."""
    stack = platform_stack
    processes, mail, _traces = platform
    intake = httpx.AsyncClient(base_url=processes["intake"].base_url, timeout=30)
    operator = stack.bearer("op-1", "operator")
    inspection = httpx.AsyncClient(base_url=processes["inspection"].base_url, timeout=30,
                                   headers=stack.bearer("insp-1", "inspector"))
    address = f"verdict-{uuid.uuid4().hex[:6]}@example.org"
    created = await intake.post("/v1/appeals", headers=operator, json={
        "channel": "contact_centre", "channel_message_id": f"cc-{uuid.uuid4().hex[:8]}", "kind": "complaint",
        "category": "garbage_collection", "district": "auezov", "language": "en",
        "text": "The bins in our yard have not been emptied for two weeks.",
        "citizen": {"name": "Bolat T.", "email": address}})
    assert created.status_code == 201, created.text
    number, appeal_id, token = (created.json()[k] for k in ("registration_number", "appeal_id", "status_token"))
    verdict_url = f"/v1/status/{number}/verdict"

    async def status() -> dict:
        return (await intake.get(f"/v1/appeals/{number}", headers=operator)).json()

    first_due = (await eventually(lambda: _when(status(), lambda s: s["executor_code"] and s["due_at"]),
                                  "assignment"))["due_at"]
    early = await intake.post(verdict_url, params={"token": token}, json={"resolved": True, "rating": 4})
    assert early.status_code == 409 and "no accepted answer" in early.json()["detail"]
    executor = (await status())["executor_code"]

    async def answer_and_accept(text: str) -> None:
        waiting = await _answer_in_queue(stack, inspection, executor, appeal_id, text, "en")
        assert (await inspection.post(f"/v1/answers/{waiting}/accept")).status_code == 200
        await eventually(lambda: _when(status(), lambda s: s["status"] == "closed"), "closed")

    await answer_and_accept("We will empty them next week.")
    wrong = await intake.post(verdict_url, params={"token": "x" * 30}, json={"resolved": False})
    assert wrong.status_code == 404
    bad = await intake.post(verdict_url, params={"token": token}, json={"resolved": False, "rating": 9})
    assert bad.status_code == 422
    reopened = await intake.post(verdict_url, params={"token": token}, json={"resolved": False, "rating": 2})
    assert reopened.status_code == 201 and reopened.json()["reopens"] is True

    again = await eventually(lambda: _when(status(), lambda s: s["status"] == "reopened" and [
        e["event_type"] for e in s["timeline"]].count("deadline.scheduled") == 2), "reopened with a new due time")
    assert again["due_at"] >= first_due  # counted from the reopening (today: the same day as the first)
    assert again["executor_code"] == executor and again["answer"] is None
    routing = httpx.AsyncClient(base_url=processes["routing"].base_url, headers=stack.bearer("insp-1", "inspector"))
    history = (await routing.get(f"/v1/appeals/{appeal_id}/assignments")).json()
    assert [a["reason"] for a in history["assignments"]][-1] == "reopened" and history["status"] == "assigned"

    await answer_and_accept("The bins were emptied on 26 November and the schedule is now weekly.")
    rated = await intake.post(verdict_url, params={"token": token}, json={"resolved": True, "rating": 5})
    assert rated.status_code == 201 and rated.json()["reopens"] is False
    second = await intake.post(verdict_url, params={"token": token}, json={"resolved": False, "rating": 1})
    assert second.status_code == 409 and "already given" in second.json()["detail"]

    today = Clock().now().astimezone(ZoneInfo("Asia/Almaty")).date()
    window = {"from": today.isoformat(), "to": today.isoformat()}

    async def card():
        cards = (await inspection.get("/v1/scorecards", params=window)).json()
        mine = next((c for c in cards if c["executor_code"] == executor), None)
        return mine if mine and mine["rated"] >= 2 and mine["reopened_by_citizens"] >= 1 else None
    mine = await eventually(card, "the reopening and the ratings in the scorecard")
    assert mine["reopened_by_citizens"] >= 1 and mine["mean_rating"] is not None
    year, week, _ = today.isocalendar()
    report = (await inspection.get(f"/v1/reports/weekly/{year}-W{week:02d}")).json()
    [row] = [c for c in report["scorecards"] if c["executor_code"] == executor]
    assert row["reopened_by_citizens"] == mine["reopened_by_citizens"] and row["mean_rating"] == mine["mean_rating"]
    csv_text = (await inspection.get(f"/v1/reports/weekly/{year}-W{week:02d}/csv")).text
    assert "reopened_by_citizens" in csv_text.splitlines()[0]

    # The citizen was asked for a verdict and told of the reopening; the inspectors were told too.
    notification = httpx.AsyncClient(base_url=processes["notification"].base_url, headers=stack.bearer("sre-1", "sre"))

    async def told():
        rows = (await notification.get(f"/v1/appeals/{appeal_id}/notifications")).json()
        templates = {r["template"] for r in rows if r["status"] == "delivered"}
        wanted = {"citizen.reopened", "executor.reopened", "inspectors.appeal_reopened"}
        return templates if wanted <= templates else None
    await eventually(told, "the reopening told to the citizen, the executor and the inspectors")
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in mail.directory.glob("*.eml")]
    mine_mail = [m.get_content() for m in messages if m["To"] == address]
    assert any("Was the matter resolved?" in body for body in mine_mail)
    assert sum("registered under number" in body for body in mine_mail) == 1  # not again on reopening
    for client in (intake, inspection, routing, notification):
        await client.aclose()


async def test_two_duplicates_merged_into_the_first_get_its_answer_and_are_never_late(platform_stack: StackInfo,
                                                                                      platform):
    """Three reports of one fallen tree within the radius are linked to the first; an inspector
    merges the two later ones into it (one merged, unmerged and merged again); the first is
    answered and accepted; the other two citizens get that answer; none is counted late, and
    the weekly report counts the two merged appeals apart."""
    stack = platform_stack
    processes, mail, _traces = platform
    intake = httpx.AsyncClient(base_url=processes["intake"].base_url, timeout=30, headers=stack.bearer("op-1", "operator"))
    inspection = httpx.AsyncClient(base_url=processes["inspection"].base_url, timeout=30,
                                   headers=stack.bearer("insp-1", "inspector"))
    run, lat = uuid.uuid4().hex[:6], 43.25 + (uuid.uuid4().int % 500) / 100_000
    created = []
    for i, d_long in enumerate((0, 0.0002, -0.0002)):  # about 16 m apart
        r = await intake.post("/v1/appeals", json={
            "channel": "contact_centre", "channel_message_id": f"tree-{run}-{i}", "kind": "complaint",
            "category": "tree_cutting", "district": "almaly", "location": {"lat": lat, "long": 76.93 + d_long},
            "language": "en", "text": "A fallen tree blocks the pavement.",
            "citizen": {"name": f"Neighbour {i}", "email": f"tree-{run}-{i}@example.org"}})
        assert r.status_code == 201, r.text
        created.append(r.json())
    original, *duplicates = created

    async def linked():
        r = await inspection.get(f"/v1/appeals/{original['appeal_id']}")
        found = r.json().get("possible_duplicates") if r.status_code == 200 else None
        return found if found and len(found) == 2 and r.json()["appeal"]["executor_code"] else None
    await eventually(linked, "the two later reports linked to the first")
    executor = (await inspection.get(f"/v1/appeals/{original['appeal_id']}")).json()["appeal"]["executor_code"]
    routing = httpx.AsyncClient(base_url=processes["routing"].base_url,
                                headers=stack.bearer("emp-9", "executor", executor_code=executor))

    async def shown_to_the_executor():
        r = await routing.get(f"/v1/executors/{executor}/appeals/{original['appeal_id']}")
        found = r.json().get("possible_duplicates") if r.status_code == 200 else None
        return found if found and len(found) == 2 else None
    seen = await eventually(shown_to_the_executor, "the possible duplicates in the executor's case")
    assert {d["registration_number"] for d in seen} == {d["registration_number"] for d in duplicates}
    await routing.aclose()
    for d in duplicates:
        merged = await inspection.post(f"/v1/appeals/{d['appeal_id']}/merge", json={"into": original["appeal_id"]})
        assert merged.status_code == 200, merged.text
    again = await inspection.post(f"/v1/appeals/{duplicates[0]['appeal_id']}/merge", json={"into": original["appeal_id"]})
    assert again.status_code == 409
    assert (await inspection.post(f"/v1/appeals/{duplicates[1]['appeal_id']}/unmerge")).status_code == 200
    assert (await inspection.post(f"/v1/appeals/{duplicates[1]['appeal_id']}/merge",
                                  json={"into": original["appeal_id"]})).status_code == 200

    async def stopped():
        for d in duplicates:
            s = (await intake.get(f"/v1/appeals/{d['registration_number']}")).json()
            if s["status"] != "merged" or not any(e["event_type"] == "deadline.stopped" for e in s["timeline"]):
                return None
        return True
    await eventually(stopped, "both duplicates merged, their clocks stopped")

    waiting = await _answer_in_queue(stack, inspection, executor, original["appeal_id"],
                                     "The tree was removed on 26 November.", "en")
    assert (await inspection.post(f"/v1/answers/{waiting}/accept")).status_code == 200

    async def answered_all():
        messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                    for p in mail.directory.glob("*.eml")]
        got = {m["To"] for m in messages if "The tree was removed on 26 November." in m.get_content()}
        wanted = {f"tree-{run}-{i}@example.org" for i in range(3)}
        return got if wanted <= got else None
    await eventually(answered_all, "the original's answer in all three citizens' mail")
    for d in duplicates:
        s = (await intake.get(f"/v1/appeals/{d['registration_number']}")).json()
        assert s["answer"] == "The tree was removed on 26 November." and s["overdue"] is False
    unmerge_late = await inspection.post(f"/v1/appeals/{duplicates[0]['appeal_id']}/unmerge")
    assert unmerge_late.status_code == 409

    today = Clock().now().astimezone(ZoneInfo("Asia/Almaty")).date()
    year, week, _ = today.isocalendar()
    report = (await inspection.get(f"/v1/reports/weekly/{year}-W{week:02d}")).json()
    assert report["merged"] >= 2
    overdue = {o["registration_number"] for o in report["longest_overdue"]}
    assert not overdue & {d["registration_number"] for d in duplicates}
    for client in (intake, inspection):
        await client.aclose()


def _planted_iin(seed: int) -> str:
    """A valid IIN no other test uses (born 1 Jan 1977, serial from ``seed``)."""
    from appeals_intake.domain.iin import check_digit

    for serial in range(seed % 9000, 10_000):
        first = f"7701013{serial:04d}"
        if (digit := check_digit(first)) is not None:
            return first + str(digit)
    raise AssertionError("no IIN")


async def test_planted_personal_data_appears_nowhere(platform_stack: StackInfo, platform):
    """Distinctive personal data goes through the whole lifecycle and into bad input too;
    then every log, span, dead-letter header and error body is searched for it."""
    stack = platform_stack
    processes, mail, trace_dir = platform
    tag = uuid.uuid4().hex[:6]
    planted = {"name": f"Zhanar Plantedova-{tag}", "iin": _planted_iin(int(tag, 16)),
               "phone": "+7701" + str(int(tag, 16) % 10**7).zfill(7), "email": f"zhanar.planted.{tag}@example.kz"}
    street = f"Plantedstreet {tag} 17"
    intake = httpx.AsyncClient(base_url=processes["intake"].base_url, timeout=30, headers=stack.bearer("op-1", "operator"))
    inspection = httpx.AsyncClient(base_url=processes["inspection"].base_url, timeout=30,
                                   headers=stack.bearer("insp-1", "inspector"))
    appeal = {"channel": "contact_centre", "channel_message_id": f"cc-{tag}", "kind": "complaint",
              "category": "road_repair", "district": "medeu", "language": "ru", "address": street,
              "text": f"Яма у дома {street}.", "citizen": {**planted, "preferred_language": "ru"}}
    created = await intake.post("/v1/appeals", json=appeal)
    assert created.status_code == 201, created.text
    number, appeal_id = created.json()["registration_number"], created.json()["appeal_id"]

    # Bad input carrying the same data: an HTTP error body, and dead letters of malformed records.
    bodies = [(await intake.post("/v1/appeals", json={**appeal, "channel_message_id": f"cc-{tag}-bad",
                                                       "citizen": {**planted, "email": planted["email"] + "@@"}})).text,
              (await intake.post("/v1/appeals", json={**appeal, "kind": 5})).text]
    bad_value = json.dumps({**appeal, "channel_message_id": 7}).encode()
    record = Envelope.wrap(submission(f"k-{tag}"), source="/adapters/test", subject=f"contact_centre:k-{tag}",
                           time=Clock().now())
    await produce(stack.bootstrap_servers, "appeals.intake.v1", [
        (f"contact_centre:{tag}".encode(), bad_value, record.kafka_headers()),
        (f"contact_centre:{tag}x".encode(), b"{" + street.encode(), record.kafka_headers())])

    async def status() -> dict:
        return (await intake.get(f"/v1/appeals/{number}")).json()

    assigned = await eventually(lambda: _when(status(), lambda s: s["executor_code"] and s["due_at"]), "assignment")
    executor = assigned["executor_code"]
    action = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.UUID(appeal_id), executor_code=executor,
                                     employee_id="emp-7", text="Отремонтировано.", language="ru",
                                     submitted_at=Clock().now())
    await produce(stack.bootstrap_servers, "appeals.executor-actions.v1", [stack.signed_action(
        executor, Envelope.wrap(action, source=f"/portals/{executor}", subject=appeal_id, time=Clock().now()))])

    async def queued():
        rows = (await inspection.get("/v1/queue", params={"executor": executor})).json()
        return next((r for r in rows if r["appeal_id"] == appeal_id), None)
    answer = await eventually(queued, "the answer in the review queue")
    assert (await inspection.post(f"/v1/answers/{answer['answer_id']}/accept")).status_code == 200
    await eventually(lambda: _when(status(), lambda s: s["status"] == "closed"), "closed")
    notification = httpx.AsyncClient(base_url=processes["notification"].base_url, timeout=30,
                                     headers=stack.bearer("sre-1", "sre"))

    async def delivered():
        rows = (await notification.get(f"/v1/appeals/{appeal_id}/notifications")).json()
        return rows if rows and all(r["status"] == "delivered" for r in rows) else None
    await eventually(delivered, "the citizen's messages delivered")
    dead = await eventually(lambda: _dead_letters(stack, tag), "both dead letters")
    assert any(m["To"] == planted["email"] for m in (email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                                                     for p in mail.directory.glob("*.eml"))), "the data did travel"

    # Now search everywhere it must not be.
    texts = {f"log {p.name}": p.read_text("utf-8", "replace") for p in (trace_dir.parent / "logs").glob("*.log")}
    texts |= {f"spans {p.name}": p.read_text("utf-8", "replace") for p in trace_dir.glob("*.jsonl")}
    texts |= {f"dead letter headers {i}": json.dumps([(k, v.decode("utf-8", "replace")) for k, v in r.headers
                                                      if k.startswith("dlq_")]) for i, r in enumerate(dead)}
    texts |= {f"error body {i}": body for i, body in enumerate(bodies)}
    sre = stack.bearer("sre-1", "sre")
    texts |= {f"metrics {name}": httpx.get(f"{p.base_url}/metrics", headers=sre, timeout=10).text
              for name, p in processes.items()}
    assert sum(k.startswith("log") for k in texts) == len(SERVICES) and any(k.startswith("spans") for k in texts)
    assert len(dead) >= 2 and all(len(body) > 20 for body in bodies), "the search looks at real material"
    values = [*planted.values(), planted["phone"][4:], planted["name"].split()[1], street, planted["iin"]]
    hits = {(where, value) for where, text in texts.items() for value in values if value in text}
    assert hits == set()


async def _dead_letters(stack: StackInfo, tag: str):
    records = await read_to_end(stack.bootstrap_servers, "appeals.intake.v1.dlq.intake")
    mine = [r for r in records if tag in (r.key or b"").decode("utf-8", "replace")]
    return mine if len(mine) >= 2 else None


def _scrape(stack: StackInfo, process: ServiceProcess) -> dict[tuple[str, frozenset], float]:
    """Every sample of a service's /metrics, parsed as Prometheus does."""
    from prometheus_client.parser import text_string_to_metric_families

    reply = httpx.get(f"{process.base_url}/metrics", headers=stack.bearer("sre-1", "sre"), timeout=10)
    assert reply.status_code == 200, reply.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(reply.text) for s in family.samples}


def _total(samples: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def test_the_metrics_tell_what_happened(platform_stack: StackInfo, platform):
    """A known load (the demo's seeded mix, a poison record, a relay task that dies) read back
    from every service's /metrics: the counters agree with the load and with each other, lag
    and backlogs return to zero, the dead task is restarted and readiness goes 503, then 200."""
    stack = platform_stack
    processes, _mail, _traces = platform
    before = {name: await asyncio.to_thread(_scrape, stack, p) for name, p in processes.items()}

    demo = Demo(stack, processes["inspection"].base_url, rate=6.0, seed=11)
    assert await demo.run(15, drain_timeout_s=150), demo.progress.counts()
    counts = demo.progress.counts()
    poison = uuid.uuid4()
    await produce(stack.bootstrap_servers, "appeals.registered.v1", [(str(poison).encode(), b"{not json", [
        ("ce_specversion", b"1.0"), ("ce_type", b"appeal.registered"), ("ce_id", str(poison).encode())])])

    async def settled() -> dict | None:
        now = {name: await asyncio.to_thread(_scrape, stack, p) for name, p in processes.items()}
        lag = sum(_total(s, "appeals_consumer_lag_records") for s in now.values())
        backlog = sum(_total(s, "appeals_outbox_backlog_rows") for s in now.values())
        dead = [_total(now[n], "appeals_dead_letters_total", topic="appeals.registered.v1")
                - _total(before[n], "appeals_dead_letters_total", topic="appeals.registered.v1")
                for n in ("routing", "deadline-tracker", "notification", "inspection")]
        queue = _total(now["inspection"], "appeals_inspection_queue")  # gauges are sampled every 5 s
        return now if lag == 0 and backlog == 0 and queue == 0 and dead == [1, 1, 1, 1] else None

    after = await eventually(settled, timeout_s=90, interval_s=1.0, what="lag and backlogs at zero, one dead letter each")

    def delta(service: str, name: str, **labels: str) -> float:
        return _total(after[service], name, **labels) - _total(before[service], name, **labels)

    assert delta("intake", "appeals_intake_registrations_total") == counts["registered"] > 0
    assert delta("intake", "appeals_relay_published_total", topic="appeals.registered.v1") == counts["registered"]
    assert delta("intake", "appeals_intake_rejections_total") == delta(
        "intake", "appeals_relay_published_total", topic="appeals.intake-rejected.v1") >= counts["rejected"]
    routed = delta("routing", "appeals_routing_assignments_total")
    assert routed == delta("deadline-tracker", "appeals_events_handled_total", topic="appeals.assigned.v1",
                           event_type="appeal.assigned") >= counts["assigned"] > 0
    assert routed + delta("routing", "appeals_routing_not_routed_total") == delta(
        "routing", "appeals_relay_published_total", topic="appeals.assigned.v1")
    finished = (delta("notification", "appeals_notification_delivery_attempts_total", outcome="delivered")
                + delta("notification", "appeals_notification_delivery_attempts_total", outcome="failed"))
    assert finished == delta("notification", "appeals_relay_published_total", topic="notifications.delivery.v1") > 0
    for name in processes:
        assert delta(name, "appeals_events_handled_total") > 0, name
        assert _total(after[name], "appeals_relay_leader") == 1, name
    labels = {v for samples in after.values() for (_, ls) in samples for _, v in ls}
    unbounded = [v for v in labels if re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-|OA-\d{4}-\d+", v)]
    assert unbounded == [], "labels are bounded: route templates, codes, topics; never an appeal"

    # The relay finds its table gone: the task dies, is restarted with backoff, the service
    # is not ready meanwhile; with the table back it publishes again and is ready.
    intake = processes["intake"]
    database = await asyncpg.connect(stack.database_url(intake.service.database))
    restarts = _total(after["intake"], "appeals_task_restarts_total", task="outbox-relay")
    try:
        await database.execute("ALTER TABLE outbox RENAME TO outbox_away")

        async def not_ready() -> bool:
            reply = await asyncio.to_thread(httpx.get, f"{intake.base_url}/health/ready", timeout=5)
            return reply.status_code == 503 and "outbox-relay" in reply.text

        await eventually(not_ready, timeout_s=30, what="readiness 503 while the relay is down")
    finally:
        await database.execute("ALTER TABLE outbox_away RENAME TO outbox")
        await database.close()

    async def ready_again() -> dict | None:
        reply = await asyncio.to_thread(httpx.get, f"{intake.base_url}/health/ready", timeout=5)
        return reply.status_code == 200 or None

    await eventually(ready_again, timeout_s=60, what="readiness 200 after the restart")
    samples = await asyncio.to_thread(_scrape, stack, intake)
    assert _total(samples, "appeals_task_restarts_total", task="outbox-relay") > restarts
    assert _total(samples, "appeals_task_up", task="outbox-relay") == 1

    # `appeals status` shows the same on one screen.
    def status_screen() -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = trace_cli.main(["status", "--token", stack.token("sre-1", "sre"),
                                   *[f"--url={name}={p.base_url}" for name, p in processes.items()]])
        return code, out.getvalue()

    code, screen = await asyncio.to_thread(status_screen)
    assert code == 0, screen
    lines = {line.split()[0]: line for line in screen.splitlines()[2:]}
    assert set(lines) == set(processes) and all(" ready " in line for line in lines.values())
    registered = _total(samples, "appeals_intake_registrations_total")
    assert f"registered {registered:.0f}," in lines["intake"] and "queue 0" in lines["inspection"]
