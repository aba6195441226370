"""The browser the pages' tests use: Debian's headless ``chromium`` driven by Selenium through
Debian's ``chromium-driver`` (nothing is downloaded), and the accessibility audit of axe-core
run in it. axe-core comes from npm, pinned, installed once under the state folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: The axe-core release the audits run (npm's ``axe-core``).
AXE_VERSION = "4.14.1"
#: What fails an audit: axe-core's two worst impacts.
BLOCKING = ("serious", "critical")
#: A phone's screen (an iPhone 12-15 in CSS pixels) and a desktop's.
PHONE = (390, 844)
DESKTOP = (1280, 1000)


@contextmanager
def chromium(*, downloads: Path | None = None, language: str = "en-GB,en", window: tuple[int, int] = DESKTOP,
             mobile: bool = False) -> Iterator[Any]:
    """A headless Chromium; with ``mobile``, it reports a phone's viewport and touch."""
    chromium_path, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium_path and driver_path):
        raise RuntimeError("Debian's chromium and chromium-driver are needed (make test installs them as root)")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a browser or a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={window[0]},{window[1]}",
                     f"--lang={language.split(',')[0]}", "--disable-gpu"):
        options.add_argument(argument)
    prefs: dict[str, Any] = {"intl.accept_languages": language}
    if downloads is not None:
        prefs.update({"download.default_directory": str(downloads), "download.prompt_for_download": False})
    options.add_experimental_option("prefs", prefs)
    if mobile:
        options.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": window[0], "height": window[1], "pixelRatio": 3.0, "touch": True}})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: Any, condition: Callable[[Any], Any], what: str, timeout_s: float = 30) -> Any:
    """``condition`` true, or an error that says what the page showed instead."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:  # an element read while the next page replaces it is stale: look again
        return WebDriverWait(driver, timeout_s, poll_frequency=0.2,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        body = driver.execute_script("return document.body ? document.body.innerText : ''")
        raise AssertionError(f"timed out waiting for {what}; at {driver.current_url}: {body[:500]}") from None


def no_sideways_scrolling(driver: Any) -> bool:
    """The page is no wider than the window."""
    return bool(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"))


def axe_script(state_dir: Path) -> str:
    """axe-core's browser bundle, installed from npm into ``state_dir/npm`` the first time."""
    return (npm_package(state_dir, "axe-core", AXE_VERSION) / "axe.min.js").read_text("utf-8")


def npm_package(state_dir: Path, name: str, version: str) -> Path:
    """The folder of npm's ``name`` at ``version``, installed under ``state_dir/npm`` the first
    time (pinned; nothing is fetched when it is there). Test tools only: the platform runs none."""
    prefix = state_dir / "npm" / f"{name}-{version}"
    folder = prefix / "node_modules" / name
    if not (folder / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(f"npm is needed for {name} (Debian's npm package)")
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund",
                        "--prefix", str(prefix), f"{name}@{version}"], check=True, capture_output=True, timeout=300)
    return folder


def audit(driver: Any, script: str) -> list[dict[str, Any]]:
    """The page's serious and critical accessibility violations by axe-core (WCAG 2.1 A and AA,
    and axe's best practices), each with its rule, impact and the elements it found."""
    driver.execute_script(script)  # WebDriver's script runs outside the page's CSP
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
        "'best-practice']}}).then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify("
        "[{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}])));")
    return [{"rule": v["id"], "impact": v["impact"], "help": v["help"],
             "where": [n.get("target") for n in v.get("nodes", [])][:5]}
            for v in json.loads(result) if v.get("impact") in BLOCKING]


def sign_in_through_issuer(driver: Any, start: str, user: Any, arrived: Callable[[Any], Any], *,
                           fresh: bool = True) -> None:
    """From an application's page with a ``#sign-in`` link, through the local issuer's sign-in
    page as ``user`` (a demo user), until ``arrived`` holds; a fresh browser session first."""
    from selenium.webdriver.common.by import By

    if fresh:
        driver.delete_all_cookies()
    driver.get(start)
    driver.find_element(By.ID, "sign-in").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "username"), "the issuer's sign-in page")
    driver.find_element(By.ID, "username").send_keys(user.username)
    driver.find_element(By.ID, "password").send_keys(user.password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, arrived, "the way back after signing in")


def screenshot(driver: Any, name: str, folder: Path, element: Any = None) -> Path:
    """A picture for the README: into ``$CONSOLE_SCREENSHOTS`` when set (``make screenshots``),
    else into ``folder``; the whole page at 1280 px wide, or just ``element``."""
    target = Path(os.environ["CONSOLE_SCREENSHOTS"]) if os.environ.get("CONSOLE_SCREENSHOTS") else folder
    target.mkdir(parents=True, exist_ok=True)
    if element is not None:
        assert element.screenshot(str(target / name))
    else:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        size = driver.get_window_size()
        driver.set_window_size(1280, min(max(height + 120, 800), 2400))
        try:
            assert driver.save_screenshot(str(target / name))
        finally:
            driver.set_window_size(size["width"], size["height"])
    assert (target / name).stat().st_size > 10_000
    return target / name
