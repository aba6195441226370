"""The staff console in a real headless Chromium (Debian's ``chromium`` driven by Selenium
through Debian's ``chromium-driver``; nothing is downloaded) against inspection on the real
broker and PostgreSQL, signing in at the stack's local OpenID issuer with the authorization
code flow and PKCE.

An inspector signs in, finds an answer in the queue, opens it, is told in words what a
refused verdict means (422, 409), returns it with a reason, sees it come back answered, and
accepts it; the language is switched and remembered for the user. The akim's office opens
the weekly report and downloads its CSV and may not see the queue; an executor is refused
the console. The screenshots in docs/img/ are taken here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealAnswered, AppealAssigned, AppealRegistered, DeadlineScheduled, Location
from appeals_devstack.browser import chromium, screenshot, wait_for
from appeals_devstack.issuer import IssuerKeys
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, produce
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration
INSPECTION = next(s for s in SERVICES if s.name == "inspection")


def record(event, appeal_id: uuid.UUID) -> tuple:
    envelope = Envelope.wrap(event, source="/test", subject=str(appeal_id), time=Clock().now())
    return str(appeal_id).encode(), envelope.kafka_value(), envelope.kafka_headers()


@pytest.fixture(scope="module")
def inspection(own_stack: StackInfo, tmp_path_factory) -> Iterator[ServiceProcess]:
    process = ServiceProcess(INSPECTION, own_stack, tmp_path_factory.mktemp("inspection")).start()
    process.wait_ready(timeout_s=90)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path):
    with chromium(downloads=downloads, language="en-GB,en") as driver:
        yield driver


def sign_in(driver, console: str, user, *, fresh: bool = True) -> None:
    """From the console's front page through the issuer's sign-in page and back."""
    from selenium.webdriver.common.by import By

    if fresh:
        driver.delete_all_cookies()
    driver.get(f"{console}/console/")
    driver.find_element(By.ID, "sign-in").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "username"), "the issuer's sign-in page")
    driver.find_element(By.ID, "username").send_keys(user.username)
    driver.find_element(By.ID, "password").send_keys(user.password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda d: d.current_url.startswith(console) and d.find_elements(By.ID, "content"),
             "the way back to the console")


def text_of(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "main").text


def fits_a_tablet(driver) -> bool:
    """At a tablet's width (820 CSS pixels) the page needs no sideways scrolling."""
    driver.set_window_size(820, 1100)
    try:
        return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        driver.set_window_size(1280, 1000)




async def test_an_inspector_returns_then_accepts_an_answer_and_the_akims_office_reads_the_report(
        own_stack: StackInfo, inspection: ServiceProcess, browser, downloads: Path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    console = inspection.base_url
    users = IssuerKeys(Path(own_stack.issuer_dir)).demo_users()
    bootstrap = own_stack.bootstrap_servers
    tag = uuid.uuid4().hex[:6]

    # A few appeals, each answered by its executor and waiting for review.
    now = Clock().now()
    appeals = []
    for i, (category, executor) in enumerate((("road_repair", "medeu_akimat"), ("landscaping", "almaly_akimat"),
                                              ("social_aid", "medeu_akimat"))):
        appeal_id = uuid.uuid4()
        registered = AppealRegistered(
            appeal_id=appeal_id, registration_number=f"OA-2026-{tag}{i}", channel="portal",
            channel_message_id=f"{tag}-{i}", kind="complaint", category=category, district="medeu",
            address="Dostyk avenue 85", location=Location(lat=43.2331, long=76.9562),
            text=f"A pothole on Dostyk avenue near the crossing, deep and dangerous ({i}).", language="en",
            anonymous=True, registered_at=now - timedelta(days=3 - i))
        appeals.append((appeal_id, registered, executor))
    await produce(bootstrap, "appeals.registered.v1", [record(r, a) for a, r, _ in appeals])
    await produce(bootstrap, "appeals.assigned.v1", [record(AppealAssigned(
        appeal_id=a, registration_number=r.registration_number, executor_code=e, reason="routing_rule", rule_id="r",
        category=r.category, district="medeu", assigned_at=r.registered_at + timedelta(minutes=5)), a)
        for a, r, e in appeals])
    await produce(bootstrap, "appeals.deadlines.v1", [record(DeadlineScheduled(
        appeal_id=a, policy_code="seed.calendar_15", regime="seed", due_at=r.registered_at + timedelta(days=15),
        scheduled_at=r.registered_at), a) for a, r, _ in appeals])
    answers = {a: uuid.uuid4() for a, _, _ in appeals}
    await produce(bootstrap, "appeals.answered.v1", [record(AppealAnswered(
        appeal_id=a, answer_id=answers[a], executor_code=e, employee_id=f"emp-{tag}",
        text="The pothole will be repaired in the spring.", language="en",
        submitted_at=r.registered_at + timedelta(days=1)), a) for a, r, e in appeals])
    appeal_id, registered, executor = appeals[0]
    number = registered.registration_number
    api = httpx.Client(base_url=console, timeout=30, headers=own_stack.bearer("insp-api", "inspector"))
    await eventually(lambda: len([r for r in api.get("/v1/queue").json()
                                  if r["registration_number"].startswith(f"OA-2026-{tag}")]) == 3, what="queued")

    # Without a session the console only offers to sign in; an executor is refused.
    anonymous = httpx.Client(base_url=console, timeout=30, follow_redirects=False)
    assert anonymous.get("/console/queue").headers["location"] == "/console/"
    assert anonymous.post(f"/console/answers/{answers[appeal_id]}/accept").status_code == 303
    sign_in(browser, console, users["executor"])
    assert browser.find_element(By.ID, "refused").is_displayed()
    assert not browser.get_cookie("__Host-console")

    # The inspector signs in and lands on the review queue.
    sign_in(browser, console, users["inspector"])
    assert browser.current_url.startswith(f"{console}/console/queue")
    cookie = browser.get_cookie("__Host-console")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert int(browser.find_element(By.ID, "waiting").text) >= 3
    Select(browser.find_element(By.ID, "f-executor")).select_by_value(executor)
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait_for(browser, lambda d: "executor=" in d.current_url, "the filtered queue")
    rows = browser.find_elements(By.CSS_SELECTOR, "#queue a[data-number]")
    assert {r.get_attribute("data-number") for r in rows} >= {number, f"OA-2026-{tag}2"}
    assert f"OA-2026-{tag}1" not in {r.get_attribute("data-number") for r in rows}  # another executor's
    screenshot(browser, "console-queue.png", downloads)
    assert fits_a_tablet(browser)

    # The answer's page: the appeal, its place, the answer, the timeline across services.
    browser.find_element(By.CSS_SELECTOR, f'#queue a[data-number="{number}"]').click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "answer-text"), "the answer's page")
    page = text_of(browser)
    assert registered.text in page and "Dostyk avenue 85" in page and "43.23310, 76.95620" in page
    assert "Road" in page and "Medeu" in page  # names, not codes
    timeline = browser.find_element(By.ID, "timeline").text
    assert "Registered (intake)" in timeline and "Assigned (routing)" in timeline and "answered" in timeline

    # A return without a reason is refused in words (422), the form kept.
    browser.execute_script("document.getElementById('reason').removeAttribute('required')")
    browser.find_element(By.ID, "comment").send_keys("Say when in the spring.")
    browser.find_element(By.ID, "return").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "error"), "the refusal")
    assert "choose a reason" in browser.find_element(By.ID, "error").text
    assert browser.find_element(By.ID, "comment").get_attribute("value") == "Say when in the spring."
    screenshot(browser, "console-answer.png", downloads)
    assert fits_a_tablet(browser)

    # Returned with a reason; the queue says so.
    Select(browser.find_element(By.ID, "reason")).select_by_value("formal_reply")
    stale_form = browser.execute_script(
        "const f = document.querySelector('form[action$=\"/accept\"]'); return [f.action, f.csrf_token.value]")
    browser.find_element(By.ID, "return").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "notice"), "the notice")
    assert browser.find_element(By.ID, "notice").text == f"Answer returned: {number}"

    # The same answer accepted from a page loaded before the return: 409, in words.
    browser.execute_script("""
        const [action, csrf] = arguments[0];
        const form = document.createElement('form'); form.method = 'post'; form.action = action;
        const field = document.createElement('input'); field.type = 'hidden'; field.name = 'csrf_token';
        field.value = csrf; form.appendChild(field); document.body.appendChild(form); form.submit();""", stale_form)
    wait_for(browser, lambda d: d.find_elements(By.ID, "error"), "the conflict")
    assert "no longer waiting for review" in browser.find_element(By.ID, "error").text
    assert browser.find_element(By.ID, "answer-status").text == "returned"

    # A form without the session's CSRF token changes nothing.
    session = {"__Host-console": browser.get_cookie("__Host-console")["value"]}
    forged = httpx.post(stale_form[0], cookies=session, data={"csrf_token": "forged"}, timeout=30)
    assert forged.status_code == 403

    # The executor answers again; the answer comes back into the queue.
    second = uuid.uuid4()
    await produce(bootstrap, "appeals.answered.v1", [record(AppealAnswered(
        appeal_id=appeal_id, answer_id=second, executor_code=executor, employee_id=f"emp-{tag}",
        text="The pothole will be repaired by 15 April.", language="en", submitted_at=Clock().now()), appeal_id)])

    def back_in_queue():
        browser.get(f"{console}/console/queue")
        return browser.find_elements(By.CSS_SELECTOR, f'#queue a[href="/console/answers/{second}"]')

    await eventually(back_in_queue, what="the second answer in the queue")
    back_in_queue()[0].click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "answer-text"), "the second answer's page")
    assert "15 April" in browser.find_element(By.ID, "answer-text").text
    earlier = browser.find_element(By.ID, "earlier").text
    assert "returned" in earlier and "A formal reply" in earlier and "Say when in the spring." in earlier
    assert "The inspector returned" in browser.find_element(By.ID, "timeline").text
    assert "inspector-demo (inspector)" in browser.find_element(By.ID, "audit").text
    browser.find_element(By.ID, "accept").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "notice"), "the notice")
    assert browser.find_element(By.ID, "notice").text == f"Answer accepted: {number}"
    history = api.get(f"/v1/appeals/{appeal_id}").json()
    assert history["appeal"]["status"] == "closed"
    assert [(a["status"], a["inspector_id"]) for a in history["answers"]] == [
        ("returned", "inspector-demo"), ("accepted", "inspector-demo")]

    # Kazakh, chosen once, is the inspector's language in the next session too.
    Select(browser.find_element(By.ID, "language")).select_by_value("kk")
    browser.find_element(By.CSS_SELECTOR, "form[action='/console/language'] button").click()
    wait_for(browser, lambda d: "Тексеру кезегі" in d.find_element(By.TAG_NAME, "h1").text, "the page in Kazakh")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "kk"
    browser.find_element(By.CSS_SELECTOR, "form[action='/console/sign-out'] button").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "sign-in"), "the front page")
    sign_in(browser, console, users["inspector"], fresh=False)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "kk"
    browser.get(f"{console}/console/escalations")
    assert "Мерзімі өткендер" in browser.find_element(By.TAG_NAME, "h1").text

    # The akim's office: the weekly report in the console's frame, its CSV, and no queue.
    sign_in(browser, console, users["akim"])
    assert browser.current_url.startswith(f"{console}/console/reports/weekly")
    week = browser.find_element(By.ID, "week").get_attribute("value")
    body = text_of(browser)
    assert "Appeals received" in body and "Almaty time" in body and "+00:00" not in body
    screenshot(browser, "console-report.png", downloads)
    assert fits_a_tablet(browser)
    browser.find_element(By.ID, "csv").click()
    csv_file = downloads / f"weekly-{week}.csv"
    deadline = time.monotonic() + 30
    while not (csv_file.exists() and csv_file.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.2)
    lines = csv_file.read_text("utf-8").splitlines()
    assert lines[0].startswith("section,key,name,value") and any(line.startswith("received,total,,") for line in lines)
    browser.get(f"{console}/console/queue")
    assert browser.find_element(By.ID, "refused").is_displayed()
    browser.get(f"{console}/console/scorecards")
    assert "Medeu" in browser.find_element(By.ID, "scorecards").text
