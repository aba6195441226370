"""The executors' workspace in a real headless Chromium against all five services on the real
broker and PostgreSQL, the local OpenID issuer (real keys, the code flow with PKCE) and a real
SMS gateway (the sink): what the issue's acceptance asks for.

- An employee of the Medeu akimat signs in, sees only that akimat's appeals, takes one and
  answers it with a photo; an inspector returns it with a reason in the console; the employee
  sees the reason first in the queue, answers again; the answer is accepted and the citizen's
  SMS arrives.
- Another employee sends an appeal on as "not our competence": it reaches the suggested
  organisation with its due time unchanged.
- The head gives an appeal to an employee and asks for an extension: the citizen is told.
- An employee of another akimat gets "not found" for the case's URL and its photo.
- The inspectors' scorecards and the head's page show the employees' own figures.
- Every page passes axe-core with no serious or critical violation; the README's pictures are
  taken here (``make screenshots``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from appeals_contracts.events import CitizenContact
from appeals_devstack.browser import DESKTOP, audit, axe_script, chromium, screenshot, sign_in_through_issuer, wait_for
from appeals_devstack.issuer import IssuerKeys
from appeals_devstack.processes import services_running
from appeals_devstack.sinks import SmsSink
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, expected_executor, produce, submission, submission_record

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
PLATFORM = ("intake", "routing", "deadline-tracker", "notification", "inspection", "workspace")
MEDEU, ALMALY, ENERGY = "medeu_akimat", "almaly_akimat", "energy_dept"
TAG = uuid.uuid4().hex[:8]
#: A citizen per appeal: a phone of their own (no IIN: no re-appeal links between them).
PHONES = {key: "+77017" + str(int(TAG[:5], 16) % 100_000).zfill(5) + str(i) for i, key in enumerate("ABCD")}
TEXTS = {"A": f"Во дворе дома сломаны качели, дети могут пораниться. {TAG}",
         "B": f"Во дворе не горит ни один фонарь, опасно вечером. {TAG}",
         "C": f"Детская площадка во дворе заросла, нужна уборка. {TAG}",
         "D": f"Во дворе на Абая разбита скамейка. {TAG}"}


@pytest.fixture(scope="module")
def platform(own_stack: StackInfo, tmp_path_factory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("workspace")
    sms = SmsSink(root / "sms.jsonl").start()
    env = {"notification": {"SMS_GATEWAY_URL": sms.url, "SMS_QUIET_HOURS": "", "DELIVERY_POLL_INTERVAL_S": "0.2"},
           "workspace": {"LOG_LEVEL": "DEBUG"}}
    try:
        with services_running(own_stack, root / "logs", PLATFORM, env=env) as processes:
            yield {"processes": processes, "sms": sms, "root": root}
    finally:
        sms.stop()


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_script(ROOT / ".state")


@pytest.fixture(scope="module")
def desk() -> Iterator:
    with chromium(language="ru-RU,ru", window=DESKTOP) as driver:
        yield driver


@pytest.fixture(scope="module")
def console() -> Iterator:
    with chromium(language="en-GB,en", window=DESKTOP) as driver:
        yield driver


AUDITED: dict[str, list] = {}


def check(driver, axe: str, name: str) -> None:
    AUDITED[name] = violations = audit(driver, axe)
    assert violations == [], f"{name}: {violations}"


def tablet_fits(driver) -> bool:
    """At a tablet's width (768 px) the page needs no sideways scrolling."""
    size = driver.get_window_size()
    driver.set_window_size(768, 1024)
    try:
        return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        driver.set_window_size(size["width"], size["height"])


def main_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "main").text


def sign_in(driver, base: str, user, *, landing: str) -> None:
    """Through the issuer's sign-in page (a fresh browser session) and back to ``landing``."""
    sign_in_through_issuer(driver, f"{base}/", user, lambda d: d.current_url.startswith(f"{base}{landing}"))


def photo(path: Path) -> Path:
    Image.new("RGB", (800, 600), (60, 140, 70)).save(path, "JPEG")
    return path


def texts_to(sms: SmsSink, phone: str) -> list[dict]:
    lines = sms.path.read_text("utf-8").splitlines() if sms.path.exists() else []
    return [m for m in map(json.loads, lines) if m["to"] == phone]


async def test_employees_answer_in_their_own_name_and_inspectors_see_who(own_stack: StackInfo, platform, desk,
                                                                        console, axe, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    processes, sms = platform["processes"], platform["sms"]
    workspace = processes["workspace"].base_url
    users = IssuerKeys(Path(own_stack.issuer_dir)).demo_users()
    assert expected_executor("landscaping", "medeu") == MEDEU and expected_executor("landscaping", "almaly") == ALMALY

    # Four appeals by phone: three for the Medeu akimat, one for Almaly's.
    records = [submission_record(submission(
        f"ws-{TAG}-{key}", category="landscaping", district="almaly" if key == "D" else "medeu",
        address=f"Достык, {10 + i}", text=TEXTS[key], language="ru",
        citizen=CitizenContact(name=f"Житель {key} {TAG}", phone=PHONES[key], preferred_language="ru")))
        for i, key in enumerate("ABCD")]
    await produce(own_stack.bootstrap_servers, "appeals.intake.v1", records)
    routing = httpx.AsyncClient(base_url=processes["routing"].base_url, timeout=30,
                                headers=own_stack.bearer("insp-ws", "inspector"))

    async def scheduled() -> dict | None:
        found = {}
        for code in (MEDEU, ALMALY):
            queue = (await routing.get(f"/v1/executors/{code}/queue", params={"size": 200})).json()["items"]
            found |= {key: i for i in queue for key, text in TEXTS.items() if i["excerpt"] == text and i["due_at"]}
        return found if len(found) == 4 else None
    items = await eventually(scheduled, "four appeals assigned with their due times", timeout_s=90)
    ids = {key: item["appeal_id"] for key, item in items.items()}
    numbers = {key: item["registration_number"] for key, item in items.items()}

    # The employee signs in: the Medeu akimat's appeals, never Almaly's.
    employee = users["executor"]
    sign_in(desk, workspace, employee, landing="/queue")
    assert employee.name in desk.find_element(By.ID, "who").text
    queue = main_text(desk)
    assert all(numbers[k] in queue for k in "ABC") and numbers["D"] not in queue
    check(desk, axe, "queue")
    assert tablet_fits(desk)
    desk.get(f"{workspace}/queue?lang=kk")  # Kazakh, and remembered
    desk.get(f"{workspace}/queue")
    assert desk.find_element(By.TAG_NAME, "html").get_attribute("lang") == "kk"
    assert desk.find_element(By.TAG_NAME, "h1").text == "Ұйымның ашық өтініштері"
    check(desk, axe, "queue in Kazakh")
    desk.get(f"{workspace}/queue?lang=ru")

    # She takes A and answers it with a photo of the repaired swing.
    desk.find_element(By.CSS_SELECTOR, f"tr[data-appeal='{ids['A']}'] form[action$='/take'] button").click()
    wait_for(desk, lambda d: d.find_elements(By.ID, "done"), "taken")
    desk.get(f"{workspace}/appeals/{ids['A']}")
    assert TEXTS["A"] in desk.find_element(By.ID, "appeal-text").text
    assert employee.name in desk.find_element(By.ID, "assignee").text
    assert PHONES["A"] in desk.find_element(By.ID, "citizen").text  # the law lets the akimat call back
    check(desk, axe, "case")
    assert tablet_fits(desk)
    desk.find_element(By.ID, "text").send_keys("Качели отремонтированы 2 декабря, площадка проверена.")
    desk.find_element(By.ID, "photos-input").send_keys(str(photo(tmp_path / "swing.jpg")))
    screenshot(desk, "workspace-answer.png", tmp_path, element=desk.find_element(By.ID, "answer-card"))
    desk.find_element(By.ID, "send-answer").click()
    wait_for(desk, lambda d: d.find_elements(By.ID, "notice"), "the answer's outcome")
    assert desk.find_element(By.ID, "notice").text == "Ответ принят и передан инспектору на проверку."

    # An inspector returns it in the console, with a reason; the photo is there for her.
    inspection = processes["inspection"].base_url
    api = httpx.AsyncClient(base_url=inspection, timeout=30, headers=own_stack.bearer("insp-ws", "inspector"))

    async def waiting(appeal_id: str) -> str | None:
        rows = (await api.get("/v1/queue")).json()
        return next((r["answer_id"] for r in rows if r["appeal_id"] == appeal_id), None)
    first = await eventually(lambda: waiting(ids["A"]), "the answer in the inspectors' queue")
    sign_in(console, f"{inspection}/console", users["inspector"], landing="/queue")
    console.get(f"{inspection}/console/answers/{first}")
    wait_for(console, lambda d: d.find_elements(By.ID, "answer-photos"), "the answer's photos")
    assert employee.name in main_text(console)
    Select(console.find_element(By.ID, "reason")).select_by_value("formal_reply")
    console.find_element(By.ID, "comment").send_keys("Укажите, что именно заменили.")
    console.find_element(By.ID, "return").click()
    wait_for(console, lambda d: d.find_elements(By.ID, "notice"), "returned")

    # The employee sees the return first, with its reason, and answers again.
    async def returned_first() -> bool:
        queue = (await routing.get(f"/v1/executors/{MEDEU}/queue", params={"size": 200})).json()["items"]
        return queue[0]["appeal_id"] == ids["A"] and queue[0]["returned_reason"] == "formal_reply"
    await eventually(returned_first, "the returned answer first in the executor's queue")
    desk.get(f"{workspace}/queue")
    first_row = desk.find_element(By.CSS_SELECTOR, "#queue tr[data-appeal]")
    assert first_row.get_attribute("data-appeal") == ids["A"]
    assert "Формальная отписка" in first_row.text, first_row.text
    assert "Укажите, что именно заменили." in first_row.text
    check(desk, axe, "queue with a return")
    screenshot(desk, "workspace-queue.png", tmp_path)
    desk.get(f"{workspace}/appeals/{ids['A']}")
    assert "Укажите, что именно заменили." in desk.find_element(By.ID, "returned").text
    check(desk, axe, "case returned")
    screenshot(desk, "workspace-case.png", tmp_path)
    desk.find_element(By.ID, "text").send_keys("Заменены цепи и сиденье качелей; работы приняты 2 декабря.")
    desk.find_element(By.ID, "send-answer").click()
    wait_for(desk, lambda d: d.find_elements(By.ID, "notice"), "the second answer's outcome")
    second = await eventually(lambda: waiting(ids["A"]), "the second answer in the inspectors' queue")
    assert second != first
    console.get(f"{inspection}/console/answers/{second}")
    console.find_element(By.ID, "accept").click()
    wait_for(console, lambda d: d.find_elements(By.ID, "notice"), "accepted")
    accepted = await eventually(lambda: [m for m in texts_to(sms, PHONES["A"]) if m["text"].startswith("Ответ готов")]
                                or None, "the citizen's SMS of the accepted answer", timeout_s=60)
    assert numbers["A"] in accepted[-1]["text"]

    # Dana keeps B's page open; another employee sends B on as "not our competence", to the
    # energy department; the due time stays, and Dana's answer from the stale page is refused in words.
    desk.get(f"{workspace}/appeals/{ids['B']}")
    stale = {"cookies": {c["name"]: c["value"] for c in desk.get_cookies()},
             "csrf": desk.find_element(By.CSS_SELECTOR, "#answer-form input[name=csrf_token]").get_attribute("value")}
    before = (await routing.get(f"/v1/executors/{MEDEU}/appeals/{ids['B']}")).json()["case"]["due_at"]
    second_employee = users["executor2"]
    sign_in(desk, workspace, second_employee, landing="/queue")
    desk.get(f"{workspace}/appeals/{ids['B']}")
    desk.find_element(By.ID, "reason").send_keys("Освещение во дворах обслуживает управление энергетики.")
    Select(desk.find_element(By.ID, "suggested")).select_by_value(ENERGY)
    desk.find_element(By.ID, "send-on").click()
    wait_for(desk, lambda d: d.find_elements(By.ID, "done"), "sent on")
    assert numbers["B"] not in main_text(desk)
    moved = (await routing.get(f"/v1/executors/{ENERGY}/appeals/{ids['B']}")).json()
    assert moved["executor_code"] == ENERGY and moved["case"]["due_at"] == before
    assert [a["reason"] for a in moved["assignments"]] == ["routing_rule", "reassignment"]
    async with httpx.AsyncClient(base_url=workspace, timeout=30, cookies=stale["cookies"]) as http:
        late = await http.post(f"/appeals/{ids['B']}/answer", data={"csrf_token": stale["csrf"], "language": "ru",
                                                                   "text": "Фонари заменены."})
    assert late.status_code == 409 and "Обращение больше не у вашей организации." in late.text, late.text[-400:]
    trail = (await routing.get(f"/v1/appeals/{ids['B']}/audit")).json()
    acts = [(e["actor"], e["action"], e["outcome"]) for e in trail]
    assert (second_employee.subject, "executor.reassignment_requested", f"reassigned to {ENERGY}") in acts
    assert acts[-1][:2] == (employee.subject, "executor.answer_submitted") and acts[-1][2].startswith("refused: ")

    # The head gives C to the second employee and asks for an extension; the citizen is told.
    head = users["head"]
    sign_in(desk, workspace, head, landing="/queue")
    desk.get(f"{workspace}/appeals/{ids['C']}")
    Select(desk.find_element(By.ID, "give-to")).select_by_value(second_employee.subject)
    desk.find_element(By.ID, "give").click()
    wait_for(desk, lambda d: second_employee.name in d.find_element(By.ID, "assignee").text, "given")
    desk.find_element(By.ID, "extension-reason").send_keys("Нужен выезд на место с подрядчиком.")
    desk.find_element(By.ID, "ask-extension").click()
    wait_for(desk, lambda d: d.find_elements(By.ID, "notice"), "the extension's outcome")
    told = await eventually(lambda: [m for m in texts_to(sms, PHONES["C"]) if "продлён" in m["text"]] or None,
                            "the citizen told of the extension", timeout_s=60)
    assert numbers["C"] in told[0]["text"]
    desk.get(f"{workspace}/team")
    cells = [c.text for c in desk.find_elements(By.CSS_SELECTOR, f"tr[data-employee='{employee.subject}'] td")]
    assert cells == [employee.name, "2", "1", "1 / 0", "0", "–"], cells  # answers, returned, accepted / late, ...
    check(desk, axe, "team")

    # An employee of another akimat: the case's URL and its photo are "not found".
    photo_id = (await routing.get(f"/v1/executors/{MEDEU}/appeals/{ids['A']}")).json()["answers"][0][
        "attachments"][0]["attachment_id"]
    sign_in(desk, workspace, users["almaly"], landing="/queue")
    assert numbers["D"] in main_text(desk) and numbers["A"] not in main_text(desk)
    for path in (f"/appeals/{ids['A']}", f"/appeals/{ids['A']}/photos/{photo_id}", f"/appeals/{ids['C']}"):
        desk.get(f"{workspace}{path}")
        assert desk.find_element(By.TAG_NAME, "h1").text == "Не найдено", path
    check(desk, axe, "not found")
    cookies = {c["name"]: c["value"] for c in desk.get_cookies()}
    async with httpx.AsyncClient(base_url=workspace, timeout=30, cookies=cookies) as http:
        page = await http.get(f"/appeals/{ids['A']}/photos/{photo_id}")
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        take = await http.post(f"/appeals/{ids['A']}/take", data={"csrf_token": "x"})
        assert take.status_code == 403  # no CSRF token of this browser: nothing changes

    # The inspectors' scorecards: each employee's own figures.
    today = (await api.get("/v1/scorecards", params={"from": "2020-01-01", "to": "2099-12-31"})).json()
    [medeu] = [c for c in today if c["executor_code"] == MEDEU]
    people = {e["employee_id"]: e for e in medeu["employees"]}
    mine = people[employee.subject]
    assert {k: mine[k] for k in ("employee_name", "answered", "returned", "accepted", "accepted_late",
                                 "overdue_now", "rated", "mean_rating")} == {
        "employee_name": employee.name, "answered": 2, "returned": 1, "accepted": 1, "accepted_late": 0,
        "overdue_now": 0, "rated": 0, "mean_rating": None}
    assert second_employee.subject not in people  # sent one on, answered nothing: nothing to count yet


async def test_the_workspace_logs_no_personal_data(platform):
    """Runs after the flow (the file's order): the citizens' names, phones and texts passed
    through the workspace's pages and went into none of its logs."""
    logs = platform["processes"]["workspace"].log_path.read_text("utf-8")
    assert "workspace started" in logs and " ERROR " not in logs
    planted = [TAG, *PHONES.values(), "Житель"]
    assert [p for p in planted if p in logs] == []
    assert len(AUDITED) >= 4, sorted(AUDITED)
