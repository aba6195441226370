"""The operators' desk in a real headless Chromium against the five services on the real broker
and PostgreSQL, the local OpenID issuer (real keys, the code flow with PKCE) and a real SMS
gateway (the sink): what the issue's acceptance asks for.

- An operator registers a front-office appeal with the keyboard only: the form is checked as
  they type (a wrong IIN check digit said in words before any submit), the caller's earlier
  appeal shows with its status, the new one is linked to it knowingly, and the confirmation
  reads out the number, the executor and the due date in Almaty time.
- The operator answers a consultation from the prepared answers: registered closed with that
  answer under the operator's own id, the citizen gets it by SMS, and the weekly report counts
  it under its topic and operator.
- A caller's status is shown only when they confirm who they are.
- Every page passes axe-core with no serious or critical violation, in Kazakh too; the
  README's pictures are taken here (``make screenshots``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from appeals_devstack.browser import DESKTOP, audit, axe_script, chromium, screenshot, sign_in_through_issuer, wait_for
from appeals_devstack.issuer import IssuerKeys
from appeals_devstack.processes import services_running
from appeals_devstack.sinks import SmsSink
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, expected_executor
from appeals_intake.domain.iin import iin_problem
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
PLATFORM = ("intake", "routing", "deadline-tracker", "notification", "inspection", "desk")
TAG = uuid.uuid4().hex[:8]
PHONE = "+77015" + str(int(TAG[:5], 16) % 1_000_000).zfill(6)
CONSULTED = "+77016" + str(int(TAG[3:8], 16) % 1_000_000).zfill(6)


def an_iin(seed: str) -> str:
    """A valid IIN of this run's own (born 1990-01-01, a serial from ``seed``)."""
    base = int(seed, 16) % 9000
    for serial in range(base, base + 1000):
        iin = f"9001013{serial:04d}"
        for check in "0123456789":
            if iin_problem(iin + check) is None:
                return iin + check
    raise AssertionError("no valid IIN")


IIN = an_iin(TAG[:4])


@pytest.fixture(scope="module")
def platform(own_stack: StackInfo, tmp_path_factory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("desk")
    sms = SmsSink(root / "sms.jsonl").start()
    env = {"notification": {"SMS_GATEWAY_URL": sms.url, "SMS_QUIET_HOURS": "", "DELIVERY_POLL_INTERVAL_S": "0.2"}}
    try:
        with services_running(own_stack, root / "logs", PLATFORM, env=env) as processes:
            yield {"processes": processes, "sms": sms, "root": root}
    finally:
        sms.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium(language="en-GB,en", window=DESKTOP) as driver:
        yield driver


AUDITED: dict[str, list] = {}


def check(driver, axe: str, name: str) -> None:
    AUDITED[name] = violations = audit(driver, axe)
    assert violations == [], f"{name}: {violations}"


def sign_in(driver, base: str, user) -> None:
    sign_in_through_issuer(driver, f"{base}/", user, lambda d: d.current_url.startswith(f"{base}/register"))


def focused(driver) -> str:
    """The focused control's name (a button's id: the desk's buttons share the name ``action``)."""
    element = driver.switch_to.active_element
    if element.tag_name == "button":
        return element.get_attribute("id") or ""
    return element.get_attribute("name") or element.get_attribute("id") or ""


def tab_to(driver, name: str, *, limit: int = 60) -> None:
    """Press Tab (and only Tab) until the field named ``name`` has the focus."""
    from selenium.webdriver.common.keys import Keys

    for _ in range(limit):
        if focused(driver) == name:
            return
        driver.switch_to.active_element.send_keys(Keys.TAB)
    raise AssertionError(f"Tab never reached {name!r}")


def typed(driver, text: str) -> None:
    driver.switch_to.active_element.send_keys(text)


def loaded(driver, what: str):
    """A new page has loaded (the marker element of the one before went stale)."""
    from selenium.webdriver.common.by import By

    old = driver.find_element(By.TAG_NAME, "html")

    def fresh(d):
        try:
            old.get_attribute("lang")
            return False
        except Exception:  # stale: the page was replaced
            return d.execute_script("return document.readyState") == "complete"
    return lambda: wait_for(driver, fresh, what)


def texts_to(sms: SmsSink, phone: str) -> list[dict]:
    lines = sms.path.read_text("utf-8").splitlines() if sms.path.exists() else []
    return [m for m in map(json.loads, lines) if m["to"] == phone]


async def test_an_operator_registers_with_the_keyboard_and_answers_a_consultation(own_stack: StackInfo, platform,
                                                                                  browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    axe = axe_script(ROOT / ".state")
    processes, sms = platform["processes"], platform["sms"]
    desk, intake_url = processes["desk"].base_url, processes["intake"].base_url
    operator = IssuerKeys(Path(own_stack.issuer_dir)).demo_users()["operator"]
    intake = httpx.AsyncClient(base_url=intake_url, timeout=30, headers=own_stack.bearer("op-seed", "operator"))

    # The caller wrote before: an appeal by phone a week ago (registered now through intake's API).
    earlier = await intake.post("/v1/appeals", json={
        "channel": "contact_centre", "kind": "complaint", "category": "landscaping", "district": "medeu",
        "text": f"Сломаны качели во дворе, просим починить. {TAG}", "language": "ru",
        "citizen": {"name": f"Дана {TAG}", "iin": IIN, "phone": PHONE, "preferred_language": "ru"}})
    assert earlier.status_code == 201, earlier.text
    earlier_number = earlier.json()["registration_number"]

    sign_in(browser, desk, operator)
    assert operator.name in browser.find_element(By.ID, "who").text
    check(browser, axe, "register")

    # Keyboard only, from the IIN (focused on arrival): a wrong check digit is said as it is typed.
    assert focused(browser) == "iin"
    typed(browser, IIN[:-1] + str((int(IIN[-1]) + 1) % 10))
    wait_for(browser, lambda d: "check digit" in d.find_element(By.ID, "e-iin").text, "the IIN's check said live")
    browser.switch_to.active_element.send_keys(Keys.CONTROL, "a")
    typed(browser, IIN)
    wait_for(browser, lambda d: d.find_element(By.ID, "e-iin").text == "", "the IIN accepted live")
    tab_to(browser, "phone")
    typed(browser, PHONE)
    reload = loaded(browser, "the earlier appeals")
    typed(browser, Keys.ENTER)  # the form's first button: find the caller's earlier appeals
    reload()
    found = browser.find_element(By.ID, "earlier").text
    assert earlier_number in found and "Landscaping" in found
    check(browser, axe, "register with earlier appeals")

    # The same matter again: the earlier appeal linked knowingly (arrow keys in the radio group).
    assert focused(browser) == "iin"
    tab_to(browser, "re_appeal_of")
    typed(browser, Keys.ARROW_UP)
    assert browser.switch_to.active_element.get_attribute("value") == earlier_number
    tab_to(browser, "name")
    typed(browser, f"Дана {TAG}")
    tab_to(browser, "kind")
    typed(browser, "Complaint")
    tab_to(browser, "category")
    typed(browser, "Landscaping")
    tab_to(browser, "district")
    typed(browser, "Medeu")
    tab_to(browser, "text")
    typed(browser, f"Качели так и не починили, дети падают. {TAG}")
    wait_for(browser, lambda d: d.find_element(By.ID, "check-ok").text, "the form said ready to register")
    screenshot(browser, "desk-register.png", tmp_path)
    reload = loaded(browser, "the confirmation")
    typed(browser, Keys.ALT + "r")  # register from wherever the operator is
    reload()
    number = browser.find_element(By.ID, "number").text
    assert number.startswith("OA-") and number != earlier_number

    medeu = "Medeu District Akimat"
    assert expected_executor("landscaping", "medeu") == "medeu_akimat"

    def read_out(d):
        text = d.find_element(By.ID, "executor").text
        if medeu not in text:
            d.refresh()
            return False
        return "Almaty time" in d.find_element(By.ID, "due").text
    wait_for(browser, read_out, "the executor and the due date read out", timeout_s=60)
    check(browser, axe, "confirmation")
    screenshot(browser, "desk-confirmation.png", tmp_path)
    staff = (await intake.get(f"/v1/appeals/{number}")).json()
    linked = [e for e in staff["timeline"] if e["event_type"] == "appeal.re_appeal_linked"]
    assert linked and linked[0]["earlier_registration_number"] == earlier_number and linked[0]["linked_by_operator"]
    assert staff["channel"] == "contact_centre" and staff["kind"] == "complaint"

    # A consultation: answered from the prepared answers, the answer sent to the citizen.
    typed(browser, Keys.ALT + "n")  # the next caller
    wait_for(browser, lambda d: focused(d) == "iin", "a fresh form")
    tab_to(browser, "phone")
    typed(browser, CONSULTED)
    tab_to(browser, "name")
    typed(browser, f"Ерлан {TAG}")
    tab_to(browser, "kind")
    typed(browser, "Consultation")
    tab_to(browser, "category")
    typed(browser, "Moving around")
    tab_to(browser, "text")
    typed(browser, f"Нужен ли пропуск, чтобы ездить по городу? {TAG}")
    tab_to(browser, "prepared")
    typed(browser, "No pass")
    wait_for(browser, lambda d: "No pass is needed" in d.find_element(By.ID, "f-answer").get_attribute("value"),
             "the prepared answer in the answer box")
    tab_to(browser, "reply_wanted")
    typed(browser, Keys.SPACE)
    screenshot(browser, "desk-consultation.png", tmp_path)
    reload = loaded(browser, "the consultation's confirmation")
    tab_to(browser, "submit")
    typed(browser, Keys.ENTER)
    reload()
    consultation = wait_for(browser, lambda d: d.find_elements(By.ID, "number"), "the consultation registered")[0].text
    assert "No pass is needed" in browser.find_element(By.ID, "answer").text
    assert browser.find_element(By.ID, "closed").text
    sent = await eventually(lambda: texts_to(sms, CONSULTED), "the consultation's answer by SMS", timeout_s=60)
    assert consultation in sent[0]["text"]
    staff = (await intake.get(f"/v1/appeals/{consultation}")).json()
    assert staff["status"] == "closed" and staff["consultation"] and "No pass is needed" in staff["answer"]

    # The weekly report counts it under its topic and the operator (the inspectors' API and page).
    inspection = httpx.AsyncClient(base_url=processes["inspection"].base_url, timeout=30,
                                   headers=own_stack.bearer("akim-desk", "akim_office"))
    year, week, _ = Clock().now().astimezone().isocalendar()

    async def counted():
        report = (await inspection.get(f"/v1/reports/weekly/{year}-W{week:02d}")).json()
        return [c for c in report.get("consultations", [])
                if c["topic"] == "movement_within_city" and c["operator_id"] == operator.subject] or None
    [row] = await eventually(counted, "the consultation in the weekly report", timeout_s=60)
    assert row["operator_name"] == operator.name and row["answered"] >= 1 and row["from_prepared"] >= 1
    page = (await inspection.get(f"/v1/reports/weekly/{year}-W{week:02d}/html")).text
    assert "Консультации, данные операторами сразу" in page and operator.name in page  # the report in Russian

    # A caller's status: only when they confirm who they are.
    browser.get(f"{desk}/status")
    typed(browser, number)
    tab_to(browser, "iin")
    typed(browser, an_iin("ffff"))
    reload = loaded(browser, "the status refused")
    typed(browser, Keys.ENTER)
    reload()
    assert browser.find_elements(By.ID, "status-unknown") and not browser.find_elements(By.ID, "found")
    tab_to(browser, "number")
    browser.switch_to.active_element.send_keys(Keys.CONTROL, "a")
    typed(browser, number)
    tab_to(browser, "iin")
    browser.switch_to.active_element.send_keys(Keys.CONTROL, "a")
    typed(browser, IIN)
    reload = loaded(browser, "the status shown")
    typed(browser, Keys.ENTER)
    reload()
    assert browser.find_element(By.ID, "found-title").text == number
    check(browser, axe, "status")

    # In Kazakh, with refusals said in Kazakh and nothing registered.
    browser.get(f"{desk}/register?lang=kk")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Өтінішті тіркеу"
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "errors"), "the refusals")
    assert "Санатын таңдаңыз" in browser.find_element(By.ID, "errors").text
    check(browser, axe, "register refused, in Kazakh")
    browser.get(f"{desk}/register?lang=en")
    assert not any(AUDITED.values())


async def test_the_desk_refuses_a_foreign_form_and_anyone_but_an_operator(own_stack: StackInfo, platform):
    desk = processes_url = platform["processes"]["desk"].base_url
    async with httpx.AsyncClient(base_url=processes_url, timeout=30, follow_redirects=False) as client:
        assert (await client.get("/register")).headers["location"] == "/sign-in"
        refused = await client.post("/register", data={"csrf_token": "forged", "kind": "complaint"})
        assert refused.status_code in (303, 403)
    intake = platform["processes"]["intake"].base_url
    async with httpx.AsyncClient(base_url=intake, timeout=30) as client:
        citizen = own_stack.bearer("citizen-desk", "citizen")
        assert (await client.post("/v1/callers/appeals", json={"iin": IIN}, headers=citizen)).status_code == 403
        operator = own_stack.bearer("op-desk", "operator")
        bad = await client.post("/v1/callers/appeals", json={"iin": IIN[:-1] + "x"}, headers=operator)
        assert bad.status_code == 422 and bad.json()["reasons"][0]["field"] == "iin"
        adapter = own_stack.bearer("adapter-desk", "adapter")
        answered = await client.post("/v1/appeals", headers=adapter, json={
            "channel": "contact_centre", "kind": "consultation", "category": "movement_within_city",
            "text": "Нужен ли пропуск по городу?", "language": "ru", "anonymous": True,
            "consultation": {"answer": "Нет."}})
        assert answered.status_code == 422 and answered.json()["reasons"][0]["field"] == "consultation"
    assert desk


async def test_inspectors_change_the_prepared_answers_in_the_console_and_the_desk_offers_them(
        own_stack: StackInfo, platform, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    axe = axe_script(ROOT / ".state")
    processes = platform["processes"]
    inspection, desk = processes["inspection"].base_url, processes["desk"].base_url
    users = IssuerKeys(Path(own_stack.issuer_dir)).demo_users()
    sign_in_through_issuer(browser, f"{inspection}/console/?lang=en", users["inspector"],
                           lambda d: d.find_elements(By.ID, "content"))
    browser.get(f"{inspection}/console/answers")
    assert "No pass is needed to move around the city" in browser.find_element(By.TAG_NAME, "main").text
    code = f"bus_lanes_{TAG}"
    form = browser.find_element(By.ID, "answer-new")
    form.find_element(By.NAME, "code").send_keys(code)
    Select(form.find_element(By.NAME, "topic")).select_by_value("movement_within_city")
    for lang, title, text in (("kk", "Автобус жолақтары", "Автобус жолақтарымен тек қоғамдық көлік жүреді."),
                              ("ru", "Выделенные полосы", "По выделенным полосам ездит только общественный транспорт."),
                              ("en", f"Bus lanes {TAG}", "Only public transport may use the bus lanes.")):
        form.find_element(By.NAME, f"title_{lang}").send_keys(title)
        form.find_element(By.NAME, f"text_{lang}").send_keys(text)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "saved"), "the answer saved")
    check(browser, axe, "console: prepared answers")
    screenshot(browser, "console-prepared-answers.png", tmp_path)
    # A new answer without its Kazakh text is refused, in words, and nothing is saved.
    form = browser.find_element(By.ID, "answer-new")
    form.find_element(By.NAME, "code").send_keys(f"half_{TAG}")
    form.find_element(By.NAME, "title_ru").send_keys("Половина")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "problem"), "the refusal")
    assert "kk, ru and en" in browser.find_element(By.ID, "problem").text

    sign_in(browser, desk, users["operator"])
    offered = browser.find_element(By.ID, "f-prepared").text
    assert f"Bus lanes {TAG}" in offered and f"half_{TAG}" not in offered
