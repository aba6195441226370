"""Inspection on the real broker and PostgreSQL, its clock set inside ISO week 2026-W40: a
scripted week of appeals (and the same week a year earlier), with answers on time and late,
a return followed by a late acceptance, breaches with and without an answer, a queue left
waiting and stale verdicts. The scorecards and the weekly report must equal what this test
computes from its own script; the HTML report shows the key figures."""

from __future__ import annotations

import json
import re
import statistics
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import (
    AppealAnswered,
    AppealAssigned,
    AppealAssigneeChanged,
    AppealRegistered,
    DeadlineBreached,
    DeadlineScheduled,
)
from appeals_contracts.reference import load_reference
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, produce, read_to_end, read_topic
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration
INSPECTION = next(s for s in SERVICES if s.name == "inspection")
MONDAY = datetime(2026, 9, 27, 19, 0, tzinfo=UTC)        # 2026-W40 starts: Mon 28.09 00:00 Almaty
YEAR_EARLIER = datetime(2025, 9, 28, 19, 0, tzinfo=UTC)  # 2025-W40 starts: Mon 29.09.2025 00:00 Almaty
CLOCK = MONDAY + timedelta(days=5, hours=12)             # the inspectors' "now": Sat 03.10 07:00 Almaty
CATEGORIES = {"social_aid": 40, "city_entry_exit": 30, "education": 25, "benefits": 20,
              "movement_within_city": 15, "landscaping": 10, "tree_cutting": 8, "road_repair": 5}  # 153
CHANNELS = ("contact_centre", "front_office", "portal", "mobile_app", "social_network", "email", "e_otinish")
KINDS = ("complaint", "statement", "request", "proposal")


@dataclass
class Case:
    """One scripted appeal with an executor: what happens to it, in the test's own terms."""

    executor: str
    due_in_h: float                       # from registration
    answers: list[float] = field(default_factory=list)  # hours after registration
    verdicts: list[str] = field(default_factory=list)   # per answer: accept, return, none
    breach: bool = False


SCRIPT = [
    Case("medeu_akimat", 72, [10], ["accept"]),
    Case("medeu_akimat", 72, [30], ["accept"]),
    Case("medeu_akimat", 24, [30], ["accept"]),                      # late
    Case("medeu_akimat", 24, [5, 36], ["return", "accept"], breach=True),  # returned, then late: late
    Case("medeu_akimat", 24, [], [], breach=True),                   # overdue, escalation stays open; taken by RESPONSIBLE
    Case("almaly_akimat", 96, [20], ["accept"]),
    Case("almaly_akimat", 96, [8, 40], ["return", "accept"]),        # returned, then on time
    Case("almaly_akimat", 24, [50], ["accept"], breach=True),        # escalation opens, closes on acceptance
    Case("almaly_akimat", 200, [12], ["none"]),                      # waits in the queue
    Case("mobility_dept", 48, [6], ["accept"]),
    Case("mobility_dept", 36, [], [], breach=True),                  # overdue
    Case("mobility_dept", 300, [], []),                              # assigned, not due yet
]


#: The employee who took the overdue, unanswered case 4 of medeu_akimat: the report names her.
RESPONSIBLE = ("emp-resp", "Aliya Responsible")


def record(event, appeal_id: uuid.UUID) -> tuple:
    envelope = Envelope.wrap(event, source="/test", subject=str(appeal_id), time=Clock().now())
    return str(appeal_id).encode(), envelope.kafka_value(), envelope.kafka_headers()




@pytest.fixture(scope="module")
def inspection(stack: StackInfo, tmp_path_factory):
    offset = (CLOCK - Clock().now()).total_seconds()
    process = ServiceProcess(INSPECTION, stack, tmp_path_factory.mktemp("inspection"),
                             extra_env={"CLOCK_OFFSET_S": str(offset), "REPORT_LANGUAGE": "en"}).start()
    process.wait_ready(timeout_s=90)
    yield process
    process.stop()


async def test_scorecards_weekly_report_escalations_and_stale_verdicts(stack: StackInfo, inspection):
    api = httpx.Client(base_url=inspection.base_url, timeout=30, headers=stack.bearer("insp-1", "inspector"))
    bootstrap = stack.bootstrap_servers
    tag = uuid.uuid4().hex[:6]

    # The week's 153 appeals (12 of them scripted) and 50 the same week a year earlier.
    categories = [c for c, n in CATEGORIES.items() for _ in range(n)]
    appeals: list[tuple[uuid.UUID, AppealRegistered]] = []
    for i, category in enumerate(categories):
        at = MONDAY + timedelta(hours=2 + (i * 97 % 100))  # Monday to Friday
        appeal_id = uuid.uuid4()
        appeals.append((appeal_id, AppealRegistered(
            appeal_id=appeal_id, registration_number=f"OA-2026-{tag}{i:03d}", channel=CHANNELS[i % len(CHANNELS)],
            social_network="telegram" if CHANNELS[i % len(CHANNELS)] == "social_network" else None,
            channel_message_id=f"{tag}-{i}", kind=KINDS[i % len(KINDS)], category=category, district="medeu",
            text="…", language="ru", anonymous=True, registered_at=at)))
    earlier = [AppealRegistered(appeal_id=uuid.uuid4(), registration_number=f"OA-2025-{tag}{i:03d}",
                                channel="contact_centre", channel_message_id=f"{tag}-old-{i}", kind="complaint",
                                category="road_repair", text="…", language="ru", anonymous=True,
                                registered_at=YEAR_EARLIER + timedelta(hours=3 + i)) for i in range(50)]
    await produce(bootstrap, "appeals.registered.v1",
                  [record(e, a) for a, e in appeals] + [record(e, e.appeal_id) for e in earlier])

    scripted = list(zip(SCRIPT, appeals[:len(SCRIPT)], strict=False))
    answer_ids: dict[tuple[int, int], uuid.UUID] = {}
    assigned, deadlines, answered = [], [], []
    for n, (case, (appeal, reg)) in enumerate(scripted):
        assigned.append(record(AppealAssigned(appeal_id=appeal, registration_number=reg.registration_number,
                                              executor_code=case.executor, reason="routing_rule", rule_id="r",
                                              category=reg.category, assigned_at=reg.registered_at + timedelta(hours=1)),
                               appeal))
        due = reg.registered_at + timedelta(hours=case.due_in_h)
        deadlines.append(record(DeadlineScheduled(appeal_id=appeal, policy_code="seed.calendar_15", regime="seed",
                                                  due_at=due, scheduled_at=reg.registered_at), appeal))
        if case.breach:
            deadlines.append(record(DeadlineBreached(appeal_id=appeal, due_at=due, breached_at=due), appeal))
    taken = scripted[4][1]
    assigned.append(record(AppealAssigneeChanged(
        appeal_id=taken[0], registration_number=taken[1].registration_number, executor_code="medeu_akimat",
        employee_id=RESPONSIBLE[0], employee_name=RESPONSIBLE[1], assigned_by=RESPONSIBLE[0],
        changed_at=taken[1].registered_at + timedelta(hours=2)), taken[0]))
    await produce(bootstrap, "appeals.assigned.v1", assigned)
    await produce(bootstrap, "appeals.deadlines.v1", deadlines)
    await eventually(lambda: len(api.get("/v1/escalations").json()) >= 4, what="escalations")

    # Answers and verdicts in the script's order; each answer waits for review first.
    for n, (case, (appeal, reg)) in enumerate(scripted):
        for k, hours in enumerate(case.answers):
            answer_ids[n, k] = uuid.uuid4()
            answered.append((n, k))
            await produce(bootstrap, "appeals.answered.v1", [record(AppealAnswered(
                appeal_id=appeal, answer_id=answer_ids[n, k], executor_code=case.executor, employee_id=f"emp-{n}",
                employee_name=f"Employee {n}", text=f"Answer {k}", language="ru",
                submitted_at=reg.registered_at + timedelta(hours=hours)), appeal)])
            await eventually(lambda n=n, k=k: any(r["answer_id"] == str(answer_ids[n, k])
                                                  for r in api.get("/v1/queue").json()), what="queued")
            verdict = case.verdicts[k]
            if verdict == "accept":
                assert api.post(f"/v1/answers/{answer_ids[n, k]}/accept").status_code == 200
            elif verdict == "return":
                reply = api.post(f"/v1/answers/{answer_ids[n, k]}/return",
                                 json={"reason_code": "formal_reply", "comment": "Be specific"})
                assert reply.status_code == 200, reply.text

    # --- the test's own figures ---------------------------------------------------------------
    as_of = CLOCK  # the report's "now" is the service clock (a few seconds later: no due time is that close)
    expected_cards = {}
    for case, (appeal, reg) in scripted:
        card = expected_cards.setdefault(case.executor, {"assigned": 0, "answered": 0, "answered_on_time": 0,
                                                         "overdue_now": 0, "returned": 0, "hours": []})
        card["assigned"] += 1
        due = reg.registered_at + timedelta(hours=case.due_in_h)
        card["returned"] += case.verdicts.count("return")
        if "accept" in case.verdicts:
            hours = case.answers[case.verdicts.index("accept")]
            card["answered"] += 1
            card["answered_on_time"] += hours < case.due_in_h
            card["hours"].append(hours)
        elif due < as_of:
            card["overdue_now"] += 1
    for card in expected_cards.values():
        hours = card.pop("hours")
        card["median_hours_to_answer"] = round(statistics.median(hours), 2) if hours else None
        card["on_time_share"] = card["answered_on_time"] / card["answered"] if card["answered"] else None

    report = api.get("/v1/reports/weekly/2026-W40").json()
    assert report["received"]["total"] == 153
    assert report["received"]["by_category"] == CATEGORIES
    assert report["received"]["by_channel"] == dict(Counter(e.channel for _, e in appeals))
    assert report["received"]["by_kind"] == dict(Counter(e.kind for _, e in appeals))
    assert [c["category"] for c in report["top_categories"]] == list(CATEGORIES)[:5]
    assert [c["count"] for c in report["top_categories"]] == [40, 30, 25, 20, 15]
    assert report["year_earlier"] == {"week": "2025-W40", "received": 50}
    assert report["growth_percent"] == 206.0  # (153 - 50) / 50, as in the article

    cards = {c["executor_code"]: c for c in report["scorecards"]}
    for code, want in expected_cards.items():
        got = {k: cards[code][k] for k in want}
        assert got == want, code
    ranked = [c["executor_code"] for c in report["scorecards"] if c["executor_code"] in expected_cards]
    assert ranked == sorted(expected_cards, key=lambda c: (-expected_cards[c]["on_time_share"],
                                                          -expected_cards[c]["answered"]))
    overdue = [o["registration_number"] for o in report["longest_overdue"] if tag in o["registration_number"]]
    expected_overdue = sorted(((reg.registered_at + timedelta(hours=case.due_in_h), reg.registration_number)
                               for case, (appeal, reg) in scripted
                               if "accept" not in case.verdicts
                               and reg.registered_at + timedelta(hours=case.due_in_h) < as_of))
    assert overdue == [number for _, number in expected_overdue]

    by_period = {c["executor_code"]: c for c in api.get("/v1/scorecards", params={
        "from": "2026-09-28", "to": "2026-10-04"}).json()}
    assert {k: by_period["medeu_akimat"][k] for k in expected_cards["medeu_akimat"]} == expected_cards["medeu_akimat"]

    # Personal responsibility: each employee's own figures, and the responsible person of each
    # overdue appeal (who took it, else who last answered it) named in the report.
    expected_people: dict[str, dict[str, dict]] = {}
    for n, (case, (appeal, reg)) in enumerate(scripted):
        if case.answers:
            accepted = [case.answers[k] for k, v in enumerate(case.verdicts) if v == "accept"]
            expected_people.setdefault(case.executor, {})[f"emp-{n}"] = {
                "employee_name": f"Employee {n}", "answered": len(case.answers),
                "returned": case.verdicts.count("return"), "accepted": len(accepted),
                "accepted_late": sum(h >= case.due_in_h for h in accepted),
                "overdue_now": 0, "rated": 0, "mean_rating": None}
    expected_people["medeu_akimat"][RESPONSIBLE[0]] = {
        "employee_name": RESPONSIBLE[1], "answered": 0, "returned": 0, "accepted": 0, "accepted_late": 0,
        "overdue_now": 1, "rated": 0, "mean_rating": None}
    for code, people in expected_people.items():
        got = {e["employee_id"]: {k: e[k] for k in people[e["employee_id"]]}
               for e in by_period[code]["employees"] if e["employee_id"] in people}
        assert got == people, code
    responsible = {o["registration_number"]: (o["employee_id"], o["employee_name"]) for o in report["longest_overdue"]}
    assert responsible[scripted[4][1][1].registration_number] == RESPONSIBLE
    assert all(card.get("employees") is None for card in api.get(  # the published figures name nobody
        f"{inspection.base_url}/v1/public/weekly/2026-W40").json()["organisations"])
    head = httpx.get(f"{inspection.base_url}/v1/executors/medeu_akimat/scorecard", timeout=10,
                     params={"from": "2026-09-28", "to": "2026-10-04"},
                     headers=stack.bearer("head-1", "executor", "executor_head", executor_code="medeu_akimat"))
    assert head.status_code == 200 and {e["employee_id"] for e in head.json()["employees"]} == set(
        expected_people["medeu_akimat"])
    for other in (stack.bearer("head-2", "executor", "executor_head", executor_code="almaly_akimat"),
                  stack.bearer("emp-1", "executor", executor_code="medeu_akimat")):
        assert httpx.get(f"{inspection.base_url}/v1/executors/medeu_akimat/scorecard", timeout=10, headers=other,
                         params={"from": "2026-09-28", "to": "2026-10-04"}).status_code == 403

    # Escalations: the breached appeals; closed by acceptance, open otherwise, with executor and employee.
    escalations = {e["registration_number"]: e for e in api.get("/v1/escalations", params={"state": "all"}).json()}
    for n, (case, (appeal, reg)) in enumerate(scripted):
        if not case.breach:
            assert reg.registration_number not in escalations
            continue
        esc = escalations[reg.registration_number]
        assert esc["executor_code"] == case.executor
        assert (esc["closed_at"] is None) == ("accept" not in case.verdicts)
        assert esc["employee_id"] == (f"emp-{n}" if case.answers else RESPONSIBLE[0] if n == 4 else None)
    open_ones = {e["registration_number"] for e in api.get("/v1/escalations").json()}
    assert {reg.registration_number for case, (a, reg) in scripted
            if case.breach and "accept" not in case.verdicts} <= open_ones

    # Stale verdicts: 409 with a reason, nothing changes, nothing is published.
    decided = answer_ids[0, 0]
    history_before = api.get(f"/v1/appeals/{scripted[0][1][0]}").json()
    again = api.post(f"/v1/answers/{decided}/return", json={"reason_code": "formal_reply"},
                     headers=stack.bearer("insp-2", "inspector"))
    assert again.status_code == 409 and "already accepted" in again.json()["detail"]
    appeal, reg = scripted[8][1]
    first, second = uuid.uuid4(), uuid.uuid4()
    for answer_id, h in ((first, 14), (second, 16)):
        await produce(bootstrap, "appeals.answered.v1", [record(AppealAnswered(
            appeal_id=appeal, answer_id=answer_id, executor_code="almaly_akimat", employee_id="emp-8", text="x",
            language="ru", submitted_at=reg.registered_at + timedelta(hours=h)), appeal)])
    await eventually(lambda: any(r["answer_id"] == str(second) for r in api.get("/v1/queue").json()), what="second")
    stale = api.post(f"/v1/answers/{first}/accept")
    assert stale.status_code == 409 and "superseded" in stale.json()["detail"]
    assert api.get(f"/v1/appeals/{scripted[0][1][0]}").json() == history_before
    assert api.post(f"/v1/answers/{uuid.uuid4()}/accept").status_code == 404
    bad = api.post(f"/v1/answers/{second}/return", json={"reason_code": "rude"})
    assert bad.status_code == 422 and "reason_code must be one of" in bad.json()["detail"]
    named = api.post(f"/v1/answers/{second}/accept", json={"inspector_id": "someone-else"})
    assert named.status_code == 422, "the body may not name the inspector: the token does"

    # Who may do what: no token 401 (with a challenge), a wrong role 403, and nothing changes.
    anonymous = httpx.post(f"{inspection.base_url}/v1/answers/{second}/accept", timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    forged = httpx.post(f"{inspection.base_url}/v1/answers/{second}/accept", timeout=10,
                        headers={"Authorization": "Bearer " + stack.token("insp-1", "inspector")[:-4] + "AAAA"})
    assert forged.status_code == 401
    akim = stack.bearer("akim-1", "akim_office")
    assert httpx.post(f"{inspection.base_url}/v1/answers/{second}/accept", headers=akim, timeout=10).status_code == 403
    assert httpx.get(f"{inspection.base_url}/v1/queue", headers=akim, timeout=10).status_code == 403
    assert httpx.get(f"{inspection.base_url}/v1/reports/weekly/2026-W40", headers=akim, timeout=10).status_code == 200
    assert any(r["answer_id"] == str(second) for r in api.get("/v1/queue").json()), "still waiting"
    ours = {str(x) for x in (*answer_ids.values(), first, second)}
    expected = Counter(str(answer_ids[n, k]) for (n, k) in answered if SCRIPT[n].verdicts[k] != "none")

    def mine_of(records) -> list[dict]:
        return [v for r in records if (v := json.loads(r.value)).get("answer_id") in ours]

    # Every verdict was committed before its 200: once all are out, read what is there to the end.
    await read_topic(bootstrap, "appeals.inspections.v1", timeout_s=30,
                     until=lambda rs: len(mine_of(rs)) >= sum(expected.values()))
    mine = mine_of(await read_to_end(bootstrap, "appeals.inspections.v1"))
    assert Counter(str(v["answer_id"]) for v in mine) == expected
    assert {v["inspector_id"] for v in mine} == {"insp-1"}, "the verdict names the token's subject"
    trail = api.get(f"/v1/appeals/{scripted[0][1][0]}/audit").json()
    assert [(e["actor"], e["role"], e["action"], e["outcome"]) for e in trail] == [
        ("insp-1", "inspector", "accept", "accepted")]
    returned = [v for v in mine if "reason_code" in v]
    assert {v["reason_code"] for v in returned} == {"formal_reply"} and {v["employee_id"] for v in returned} == {"emp-3", "emp-6"}

    # The HTML report renders with its key figures and charts; the CSV has the same numbers.
    page = api.get("/v1/reports/weekly/2026-W40/html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    names = load_reference().categories.entries
    for figure in ("153", "+206.0 %", "2025-W40", names["social_aid"].names["en"], "Medeu District Akimat"):
        assert figure in page.text, figure
    assert page.text.count("<svg") == 3
    assert not re.search(r'(src|href)="https?://', page.text), "nothing to fetch at view time"
    csv_text = api.get("/v1/reports/weekly/2026-W40/csv").text
    assert "received,total,,153" in csv_text and "growth_percent,,,206.0" in csv_text
    assert api.get("/v1/reports/weekly/2026-W60").status_code == 422
    assert api.get("/v1/reports/weekly/2025-W53").status_code == 404  # 2025 has 52 ISO weeks
