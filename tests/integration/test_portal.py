"""The citizen's portal in a real headless Chromium (Debian's), at a phone's size and a
desktop's, against all five services on the real broker and PostgreSQL, the local OpenID
issuer and a real SMS gateway (the sink): what the issue's acceptance asks for.

- A resident submits in Kazakh from a phone, with a photo and her location, gets the number,
  follows the link of the SMS that reached the gateway, sees the timeline in Kazakh; the
  executor answers, an inspector accepts, she says "not resolved" with rating 2: the appeal
  reopens and the inspectors are told.
- A second resident types a bad IIN and sees the refusal in Russian next to the field, with
  what he typed kept.
- A signed-in citizen sees both of her appeals.
- A wrong or missing token shows the same page as an unknown number.
- Every page passes axe-core's audit with no serious or critical violation and needs no
  sideways scrolling at 390 px; the README's pictures are taken here (``make screenshots``).
- The planted personal data appears in none of the portal's logs, spans or metrics.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from PIL import Image

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import ExecutorAnswerSubmitted
from appeals_devstack.browser import DESKTOP, PHONE, audit, axe_script, chromium, no_sideways_scrolling, wait_for
from appeals_devstack.issuer import IssuerKeys
from appeals_devstack.processes import services_running
from appeals_devstack.sinks import MailSink, SmsSink
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import VALID_IIN, eventually, expected_executor, produce
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
#: ``make screenshots`` saves the pictures into docs/img; otherwise they go to a temporary folder.
IMAGES = Path(os.environ["CONSOLE_SCREENSHOTS"]) if os.environ.get("CONSOLE_SCREENSHOTS") else None
PLATFORM = ("intake", "routing", "deadline-tracker", "notification", "inspection", "portal")

#: Personal data planted in the submission, looked for afterwards where it must not be.
MARK = uuid.uuid4().hex[:10]
NAME = f"Айгерим Жақсылықова {MARK}"
PHONE_NUMBER = "+77017" + str(int(MARK[:6], 16) % 1_000_000).zfill(6)
TEXT = f"Үйдің жанында терең шұңқыр бар, көлікке қауіпті. Белгі {MARK}"
ADDRESS = f"Абай даңғылы, 150, {MARK}"


@pytest.fixture(scope="module")
def platform(own_stack: StackInfo, tmp_path_factory) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("portal")
    mail, sms = MailSink(root / "mail").start(), SmsSink(root / "sms.jsonl").start()
    tracing = {"OTEL_TRACES_EXPORTER": "file", "APPEALS_TRACE_DIR": str(root / "traces"),
               "OTEL_BSP_SCHEDULE_DELAY": "200"}
    env = {"notification": {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mail.port), "SMS_GATEWAY_URL": sms.url,
                            "SMS_QUIET_HOURS": "", "DELIVERY_POLL_INTERVAL_S": "0.2"},
           "portal": {**tracing, "LOG_LEVEL": "DEBUG"}}
    try:
        with services_running(own_stack, root / "logs", PLATFORM, env=env) as processes:
            yield {"processes": processes, "sms": sms, "mail": root / "mail", "root": root}
    finally:
        mail.stop()
        sms.stop()


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_script(ROOT / ".state")


@pytest.fixture(scope="module")
def phone() -> Iterator:
    with chromium(language="kk,ru", window=PHONE, mobile=True) as driver:
        yield driver


@pytest.fixture(scope="module")
def desktop() -> Iterator:
    with chromium(language="ru-RU,ru", window=DESKTOP) as driver:
        yield driver


AUDITED: dict[str, list] = {}


def check(driver, axe: str, name: str) -> None:
    """The page passes axe-core and, on a phone, fits its width."""
    width = driver.execute_script("return window.innerWidth")
    AUDITED[f"{name}@{width}"] = violations = audit(driver, axe)
    assert violations == [], f"{name}: {violations}"
    assert no_sideways_scrolling(driver), f"{name} scrolls sideways at {width} px"


def screenshot(driver, name: str, folder: Path) -> None:
    """A docs picture at the phone's width, the whole page's height."""
    folder = IMAGES or folder
    folder.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE[0], "height": min(max(height, PHONE[1]), 3000), "deviceScaleFactor": 2, "mobile": True})
    try:
        assert driver.save_screenshot(str(folder / name)) and (folder / name).stat().st_size > 10_000
    finally:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 3, "mobile": True})


def main_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "main").text


def photo(path: Path) -> Path:
    """A camera's JPEG: with its maker and where it was taken in the EXIF."""
    image = Image.new("RGB", (640, 480), (150, 110, 70))
    exif = Image.Exif()
    exif[0x010F] = "PlantedCam"  # Make
    exif[0x0131] = f"planted-{MARK}"  # Software
    image.save(path, "JPEG", exif=exif)
    return path


def fill(driver, field: str, value: str) -> None:
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(value)


def choose(driver, field: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, field)).select_by_value(value)


def submit_road_repair(driver, portal: str, *, text: str, name: str, phone: str = "", iin: str = "",
                       district: str = "medeu") -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{portal}/submit?category=road_repair")
    choose(driver, "kind", "complaint")
    fill(driver, "text", text)
    choose(driver, "district", district)
    fill(driver, "name", name)
    if phone:
        fill(driver, "phone", phone)
    if iin:
        fill(driver, "iin", iin)
    driver.find_element(By.CSS_SELECTOR, "form[action='/submit'] button[type=submit]").click()


NUMBER = re.compile(r"OA-\d{4}-\d{8}")


def reloading(found, every_s: float = 1.5):
    """A ``wait_for`` condition that reloads the page now and then (as a citizen would, and
    well within the portal's rate limit) until ``found`` holds."""
    last = [time.monotonic()]

    def condition(driver):
        if found(driver):
            return True
        if time.monotonic() - last[0] >= every_s:
            driver.refresh()
            last[0] = time.monotonic()
        return False
    return condition


async def test_a_resident_submits_in_kazakh_follows_the_sms_and_reopens_the_appeal(
        own_stack: StackInfo, platform, phone, axe, tmp_path):
    from selenium.webdriver.common.by import By

    processes, sms = platform["processes"], platform["sms"]
    portal = processes["portal"].base_url
    driver = phone
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": portal, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": 43.2389, "longitude": 76.9455,
                                                                "accuracy": 20})

    driver.get(f"{portal}/")  # the phone asks for Kazakh first
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "kk"
    check(driver, axe, "home")
    driver.find_element(By.CSS_SELECTOR, "nav a[href='/submit']").click()
    check(driver, axe, "choose")
    fill(driver, "q", "шұңқыр")  # searched on the server: no JavaScript needed
    driver.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
    wait_for(driver, lambda d: "q=" in d.current_url and d.find_elements(By.CSS_SELECTOR, ".groups li"),
             "the topics found")
    assert len(driver.find_elements(By.CSS_SELECTOR, ".groups li")) == 1
    driver.find_element(By.CSS_SELECTOR, "a[href='/submit?category=road_repair']").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "text"), "the form")
    check(driver, axe, "submit form")
    screenshot(driver, "portal-submit.png", tmp_path)

    choose(driver, "kind", "complaint")
    fill(driver, "text", TEXT)
    choose(driver, "attr_defect", "pothole")
    choose(driver, "district", "medeu")
    fill(driver, "address", ADDRESS)
    driver.find_element(By.ID, "locate").click()  # the browser's location, where it allows
    wait_for(driver, lambda d: d.find_element(By.ID, "lat").get_attribute("value"), "the location")
    driver.find_element(By.ID, "photos").send_keys(str(photo(tmp_path / "pothole.jpg")))
    fill(driver, "name", NAME)
    fill(driver, "phone", PHONE_NUMBER)
    fill(driver, "iin", VALID_IIN)
    choose(driver, "language", "kk")
    driver.find_element(By.CSS_SELECTOR, "form[action='/submit'] button[type=submit]").click()

    # the confirmation: the number at once, the executor and the due date in words when known
    wait_for(driver, lambda d: "/s/" in d.current_url and "new=1" in d.current_url, "the confirmation")
    number = NUMBER.search(main_text(driver)).group(0)
    assert "тіркелді" in main_text(driver)
    medeu = expected_executor("road_repair", "medeu")

    # "being decided" until routing and the deadline tracker are through: the page reloads itself
    wait_for(driver, reloading(lambda d: "анықталуда" not in main_text(d)),
             "the executor and the due date on the confirmation", timeout_s=60)
    confirmation = main_text(driver)
    assert re.search(r"\d{1,2} [а-яәіңғүұқөһ]+, [а-яәіңғүұқөһ]+ дейін", confirmation), confirmation  # "17 желтоқсан, бейсенбі дейін"
    check(driver, axe, "confirmation")
    screenshot(driver, "portal-confirmation.png", tmp_path)

    # the SMS that reached the gateway: short, in Kazakh, with the status link
    def texts_to(phone_number: str) -> list[dict] | None:
        lines = sms.path.read_text("utf-8").splitlines() if sms.path.exists() else []
        return [m for m in map(json.loads, lines) if m["to"] == phone_number] or None
    sent = await eventually(lambda: texts_to(PHONE_NUMBER), "the registration SMS", timeout_s=60)
    link = re.search(r"https?://\S+", sent[0]["text"]).group(0)
    assert link.startswith(f"{portal}/s/{number}/") and "Өтініш" in sent[0]["text"]
    driver.delete_all_cookies()  # as if opened from the SMS app: no cookie, the phone's language
    driver.get(link)
    wait_for(driver, lambda d: number in main_text(d), "the status page from the SMS link")
    steps = driver.find_elements(By.CSS_SELECTOR, "ol.timeline li")
    assert len(steps) >= 3 and any("Жіберілді" in s.text for s in steps), [s.text for s in steps]
    check(driver, axe, "status")

    # the photo went through intake, its EXIF stripped
    routing = httpx.AsyncClient(base_url=processes["routing"].base_url, timeout=30,
                                headers=own_stack.bearer("emp-portal", "executor", executor_code=medeu))
    mine = (await routing.get(f"/v1/executors/{medeu}/assignments", params={"limit": 200})).json()
    [held] = [i for i in mine["items"] if i["registration_number"] == number]
    case = (await routing.get(f"/v1/executors/{medeu}/appeals/{held['appeal_id']}")).json()["case"]
    assert case["channel"] == "portal" and case["location"] and case["attributes"] == {"defect": "pothole"}
    [attachment] = case["attachments"]
    async with httpx.AsyncClient(base_url=processes["intake"].base_url, timeout=30,
                                 headers=own_stack.bearer("insp-portal", "inspector")) as intake:
        stored = await intake.get(f"/v1/attachments/{attachment['attachment_id']}")
    assert stored.status_code == 200 and stored.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(stored.content)).getexif() and b"PlantedCam" not in stored.content

    # the executor answers, an inspector accepts
    action = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.UUID(held["appeal_id"]),
                                     executor_code=medeu, employee_id="emp-portal", language="kk",
                                     text="Шұңқыр жөнделді.", submitted_at=Clock().now())
    envelope = Envelope.wrap(action, source=f"/portals/{medeu}", subject=held["appeal_id"], time=Clock().now())
    await produce(own_stack.bootstrap_servers, "appeals.executor-actions.v1", [own_stack.signed_action(medeu, envelope)])
    inspection = httpx.AsyncClient(base_url=processes["inspection"].base_url, timeout=30,
                                   headers=own_stack.bearer("insp-portal", "inspector"))

    async def queued():
        rows = (await inspection.get("/v1/queue", params={"executor": medeu})).json()
        return next((r for r in rows if r["appeal_id"] == held["appeal_id"]), None)
    answer = await eventually(queued, "the answer in the review queue", timeout_s=60)
    assert (await inspection.post(f"/v1/answers/{answer['answer_id']}/accept")).status_code == 200

    wait_for(driver, reloading(lambda d: d.find_elements(By.ID, "verdict")),
             "the verdict form after the answer was accepted", timeout_s=60)
    assert "Шұңқыр жөнделді." in main_text(driver)
    check(driver, axe, "status with the verdict form")
    screenshot(driver, "portal-status-verdict.png", tmp_path)

    # "not resolved", rating 2: the appeal reopens
    driver.find_element(By.CSS_SELECTOR, "input[name=resolved][value=no]").click()
    driver.find_element(By.CSS_SELECTOR, "input[name=rating][value='2']").click()
    fill(driver, "comment", "Шұңқыр әлі де бар.")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/verdict'] button[type=submit]").click()
    wait_for(driver, lambda d: "done=reopened" in d.current_url, "the verdict taken")
    assert "қайта ашылды" in main_text(driver).lower()
    check(driver, axe, "verdict taken")

    wait_for(driver, reloading(lambda d: "Қайта ашылды" in main_text(d)), "the status Reopened", timeout_s=60)

    def told_inspectors():
        for path in Path(platform["mail"]).glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == "inspectors@open.almaty.example" and number in message["Subject"]:
                return message
        return None
    await eventually(told_inspectors, "the inspectors told of the reopening", timeout_s=60)
    history = (await inspection.get(f"/v1/appeals/{held['appeal_id']}")).json()
    assert history["answers"][-1]["status"] == "accepted"
    database = await asyncpg.connect(own_stack.database_url("inspection"))  # the inspectors' read model
    try:
        said = await database.fetchrow("SELECT resolved, rating, comment FROM citizen_verdicts WHERE appeal_id = $1",
                                       uuid.UUID(held["appeal_id"]))
    finally:
        await database.close()
    assert dict(said) == {"resolved": False, "rating": 2, "comment": "Шұңқыр әлі де бар."}
    await routing.aclose()
    await inspection.aclose()


async def test_a_bad_iin_is_refused_in_russian_next_to_the_field(platform, desktop, axe):
    from selenium.webdriver.common.by import By

    portal = platform["processes"]["portal"].base_url
    driver = desktop
    driver.delete_all_cookies()
    submit_road_repair(driver, portal, text="Не горит фонарь у остановки уже неделю.", name="Бауыржан Тестов",
                       phone="+77015550000", iin="900101300008")  # the check digit is wrong
    error = wait_for(driver, lambda d: d.find_elements(By.ID, "iin-error"), "the refusal next to the IIN")[0]
    assert error.text.startswith("ИИН указан неверно"), error.text
    assert driver.find_element(By.ID, "iin").get_attribute("aria-invalid") == "true"
    assert driver.find_element(By.ID, "text").get_attribute("value") == "Не горит фонарь у остановки уже неделю."
    assert driver.find_element(By.ID, "name").get_attribute("value") == "Бауыржан Тестов"
    assert "Обращение не отправлено" in main_text(driver)
    check(driver, axe, "submit form refused")


async def test_a_signed_in_citizen_sees_both_of_her_appeals(own_stack: StackInfo, platform, desktop, axe):
    from selenium.webdriver.common.by import By

    portal = platform["processes"]["portal"].base_url
    citizen = IssuerKeys(Path(own_stack.issuer_dir)).demo_users()["citizen"]
    driver = desktop
    driver.delete_all_cookies()
    driver.get(f"{portal}/my")  # not signed in: to the city's IdP
    wait_for(driver, lambda d: d.find_elements(By.ID, "username"), "the issuer's sign-in page")
    fill(driver, "username", citizen.username)
    fill(driver, "password", citizen.password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda d: d.current_url == f"{portal}/my", "the citizen's appeals after signing in")
    assert citizen.name in driver.find_element(By.TAG_NAME, "header").text
    numbers = []
    for text in ("Во дворе сломана детская площадка.", "На перекрёстке не работает светофор."):
        submit_road_repair(driver, portal, text=text, name=citizen.name, phone="+77015551111", district="almaly")
        wait_for(driver, lambda d: "/s/" in d.current_url, "the confirmation")
        numbers.append(NUMBER.search(main_text(driver)).group(0))
    driver.get(f"{portal}/my")
    listed = main_text(driver)
    assert all(n in listed for n in numbers), listed
    check(driver, axe, "my appeals")
    driver.find_element(By.CSS_SELECTOR, f"a[href='/my/{numbers[0]}']").click()  # no token needed: she wrote it
    wait_for(driver, lambda d: numbers[0] in main_text(d) and d.find_elements(By.CSS_SELECTOR, "ol.timeline"),
             "her appeal's page")
    driver.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button").click()
    wait_for(driver, lambda d: d.current_url == f"{portal}/", "signed out")
    driver.get(f"{portal}/my/{numbers[0]}")
    wait_for(driver, lambda d: d.find_elements(By.ID, "username"), "signing in again after signing out")


async def test_a_wrong_or_missing_token_reads_like_an_unknown_number(platform):
    portal = platform["processes"]["portal"].base_url
    async with httpx.AsyncClient(base_url=portal, timeout=30) as http:
        made = await http.get("/s/OA-2026-00000001/x")  # whether it exists is not told
        pages = [await http.get(path, headers={"Accept-Language": "ru"})
                 for path in ("/s/OA-2026-00000001/wrong-token", "/s/OA-2026-00000001", "/s/OA-2099-99999999/abc")]
    assert made.status_code == 404
    bodies = {re.search(r"<main.*</main>", p.text, re.S).group(0) for p in pages}
    assert [p.status_code for p in pages] == [404, 404, 404] and len(bodies) == 1
    assert "Обращение не найдено" in bodies.pop()
    for page in pages:
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in page.headers["content-security-policy"]


async def test_public_figures_and_recent_problems(platform, phone, desktop, axe, tmp_path):
    from selenium.webdriver.common.by import By

    portal = platform["processes"]["portal"].base_url
    for driver in (desktop, phone):
        driver.get(f"{portal}/stats?lang=ru")
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "p.kpi"), "the week's figures")
        text = main_text(driver)
        assert "Поступило обращений" in text and "Ремонт дорог" in text
        check(driver, axe, "stats")
    choose(phone, "category", "road_repair")
    phone.find_element(By.CSS_SELECTOR, "form.filters button").click()
    wait_for(phone, lambda d: "category=road_repair" in d.current_url, "the recent problems filtered")
    assert MARK not in phone.page_source and "Абай" not in phone.page_source  # no text, no address
    screenshot(phone, "portal-stats.png", tmp_path)


async def test_planted_personal_data_is_in_no_log_span_or_metric_of_the_portal(own_stack: StackInfo, platform):
    """Runs after the others (the file's order): everything the resident typed was sent."""
    processes, root = platform["processes"], platform["root"]
    async with httpx.AsyncClient(base_url=processes["portal"].base_url, timeout=30) as http:
        metrics = (await http.get("/metrics", headers=own_stack.bearer("sre-1", "sre"))).text
    logs = processes["portal"].log_path.read_text("utf-8")
    spans = "".join(p.read_text("utf-8") for p in (root / "traces").glob("*portal*"))
    assert "portal started" in logs and spans
    assert "appeals_ready 1.0" in metrics  # the not-ready alert covers the portal as it does the services
    assert " ERROR " not in logs  # no crash behind any page
    planted = [MARK, PHONE_NUMBER, PHONE_NUMBER[2:], VALID_IIN, "Жақсылықова", "Абай"]
    for where, text in (("logs", logs), ("spans", spans), ("metrics", metrics)):
        assert [p for p in planted if p in text] == [], where
    assert len(AUDITED) >= 9, sorted(AUDITED)
