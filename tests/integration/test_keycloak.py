"""The platform against Keycloak, the identity provider a city runs: the pinned server from Maven
Central (``deploy/keycloak/pom.xml``), started on loopback in development mode with the realm of
``deploy/keycloak/open-appeals-realm.json`` imported, and the five services and the three
people's applications pointed at it (``OIDC_ROLES_CLAIM=realm_access.roles``). Nothing here uses
the project's own issuer.

- Bearer tokens Keycloak signed are verified by the services: an adapter's own token (the client
  credentials grant of ``citizen-portal-service``), an inspector's, a citizen's, an executor's;
  a role not admitted gets 403, a token of another issuer 401.
- A person signs in through Keycloak's own sign-in page into the staff console, the citizen's
  portal, the executors' workspace and the operators' desk, and the page shows the name the
  realm's mapper put in the token.
- A session outlives its access token: the application renews it with the refresh token; a user
  disabled in Keycloak is refused at the next renewal and signs in again; signing out ends the
  session at Keycloak too (the next sign-in asks for the password).
- A key rotated in Keycloak is picked up by the running services without a restart.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from appeals_devstack.browser import chromium, screenshot, wait_for
from appeals_devstack.choice import chosen_kafka
from appeals_devstack.issuer import PORTAL_SERVICE_CLIENT_ID, IssuerKeys
from appeals_devstack.keycloak import Keycloak
from appeals_devstack.processes import services_running
from appeals_devstack.stack import EmbeddedStack
from appeals_devstack.testing import eventually

pytestmark = [pytest.mark.integration, pytest.mark.keycloak]

ROOT = Path(__file__).parents[2]
PLATFORM = ("intake", "routing", "deadline-tracker", "notification", "inspection", "portal", "workspace", "desk")
TAG = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def stack() -> Iterator[EmbeddedStack]:
    state_dir = Path(os.environ.get("APPEALS_TEST_STATE_DIR", ROOT / ".state" / "test"))
    running = EmbeddedStack(state_dir.with_name(f"{state_dir.name}-keycloak"), fresh=True, kafka=chosen_kafka(),
                            idp="keycloak")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def keycloak(stack: EmbeddedStack) -> Keycloak:
    assert stack.keycloak is not None
    return stack.keycloak


@pytest.fixture(scope="module")
def platform(stack: EmbeddedStack, tmp_path_factory) -> Iterator[dict]:
    assert stack.info is not None
    with services_running(stack.info, tmp_path_factory.mktemp("keycloak") / "logs", PLATFORM) as processes:
        yield {name: p.base_url for name, p in processes.items()}


@pytest.fixture(scope="module")
def users(stack: EmbeddedStack) -> dict:
    assert stack.info is not None
    return IssuerKeys(Path(stack.info.issuer_dir)).demo_users()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with chromium(language="en-GB,en") as driver:
        yield driver


def verified(keycloak: Keycloak, token: str) -> dict:
    """The token's claims, its signature checked with the realm's published keys (as the
    services check it)."""
    key = jwt.PyJWKClient(f"{keycloak.issuer}/protocol/openid-connect/certs").get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience="open-appeals", issuer=keycloak.issuer)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(driver, start: str, user, arrived) -> None:
    """From an application's sign-in route, through Keycloak's sign-in page as ``user``, until
    ``arrived`` holds; a fresh browser session first."""
    from selenium.webdriver.common.by import By

    # Every cookie of the browser: Keycloak's own are scoped to its realm's path.
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.get(start)
    wait_for(driver, lambda d: d.find_elements(By.ID, "kc-login"), "Keycloak's sign-in page")
    driver.find_element(By.ID, "username").send_keys(user.username)
    driver.find_element(By.ID, "password").send_keys(user.password)
    driver.find_element(By.ID, "kc-login").click()
    wait_for(driver, arrived, "the way back after signing in")


def appeal(tag: str) -> dict:
    return {"channel": "contact_centre", "kind": "complaint", "category": "landscaping", "district": "medeu",
            "text": f"Сломаны качели во дворе, просим починить. {tag}", "language": "ru",
            "channel_message_id": f"kc-{tag}",
            "citizen": {"name": f"Дана {tag}", "phone": "+77015550101", "preferred_language": "ru"}}


async def test_the_services_verify_keycloaks_tokens_by_their_realm_roles(keycloak: Keycloak, platform, stack):
    adapter = keycloak.service_token(PORTAL_SERVICE_CLIENT_ID)
    claims = verified(keycloak, adapter)  # the realm's issuer and the platform's audience, or it raises
    assert claims["realm_access"]["roles"] == ["adapter"] and "roles" not in claims
    async with httpx.AsyncClient(base_url=platform["intake"], timeout=30) as intake:
        created = await intake.post("/v1/appeals", json=appeal(TAG), headers=bearer(adapter))
        assert created.status_code == 201, created.text
        number = created.json()["registration_number"]

        inspector = keycloak.token("inspector")
        seen = await intake.get(f"/v1/appeals/{number}", headers=bearer(inspector))
        assert seen.status_code == 200 and seen.json()["registration_number"] == number

        # An executor's employee: the realm's attribute mapper names the organisation.
        employee = keycloak.token("executor")
        assert verified(keycloak, employee)["executor_code"] == "medeu_akimat"
        refused = await intake.get(f"/v1/appeals/{number}", headers=bearer(employee))
        assert refused.status_code == 403, refused.text

        mine = await intake.get("/v1/my/appeals", headers=bearer(keycloak.token("citizen")))
        assert mine.status_code == 200, mine.text

        # The project's own issuer's key, even claiming Keycloak as its issuer: not a key of the realm.
        foreign = IssuerKeys(Path(stack.info.issuer_dir)).mint("intruder", "inspector", issuer=keycloak.issuer)
        refused = await intake.get(f"/v1/appeals/{number}", headers=bearer(foreign))
        assert refused.status_code == 401 and refused.json()["detail"] == "the token does not verify"

    async with httpx.AsyncClient(base_url=platform["routing"], timeout=30) as routing:
        queue = await routing.get("/v1/executors/medeu_akimat/assignments", headers=bearer(employee))
        assert queue.status_code == 200, queue.text
        other = await routing.get("/v1/executors/almaly_akimat/assignments", headers=bearer(employee))
        assert other.status_code == 403, other.text


def test_people_sign_in_through_keycloak_into_each_application(keycloak: Keycloak, platform, users, browser,
                                                               tmp_path):
    from selenium.webdriver.common.by import By

    console, portal, workspace, desk = (platform[n] for n in ("inspection", "portal", "workspace", "desk"))
    browser.delete_all_cookies()
    browser.get(f"{console}/console/")
    browser.find_element(By.ID, "sign-in").click()
    wait_for(browser, lambda d: d.current_url.startswith(keycloak.issuer) and d.find_elements(By.ID, "kc-login"),
             "Keycloak's own sign-in page")
    screenshot(browser, "keycloak-sign-in.png", tmp_path)
    cases = [
        (f"{console}/console/sign-in", users["inspector"], lambda d: d.find_elements(By.ID, "content")),
        (f"{portal}/sign-in", users["citizen"], lambda d: d.current_url.startswith(f"{portal}/my")),
        (f"{workspace}/sign-in", users["executor"], lambda d: d.current_url.startswith(f"{workspace}/queue")),
        (f"{desk}/sign-in", users["operator"], lambda d: d.current_url.startswith(f"{desk}/register")),
    ]
    for start, user, arrived in cases:
        sign_in(browser, start, user, arrived)
        assert user.name in browser.find_element(By.TAG_NAME, "body").text, (start, user.username)


def test_a_session_is_renewed_and_a_disabled_user_is_refused_at_the_next_renewal(keycloak: Keycloak, platform,
                                                                                 users, browser):
    """Access tokens of 62 s, renewed when less than 60 s is left: each page after 2 s renews."""
    from selenium.webdriver.common.by import By

    workspace, console = platform["workspace"], platform["inspection"]
    keycloak.update_realm(accessTokenLifespan=62)
    try:
        for start, user, page, cookie in (
                (f"{workspace}/sign-in", users["executor2"], f"{workspace}/queue", "__Host-workspace-session"),
                (f"{console}/console/sign-in", users["akim"], f"{console}/console/reports/weekly", "__Host-console")):
            sign_in(browser, start, user, lambda d, page=page: d.current_url.startswith(page))
            first = browser.get_cookie(cookie)["value"]

            def renewed(page=page) -> bool:
                browser.get(page)
                return browser.current_url.startswith(page) and user.name in browser.find_element(By.TAG_NAME, "body").text

            # The workspace's cookie is the sealed session, so it changes when the token is renewed;
            # the console's cookie is a random key to its row, so the page working past the first
            # token's life is the proof there.
            if cookie.startswith("__Host-workspace"):
                wait_for(browser, lambda d: renewed() and d.get_cookie(cookie)["value"] != first,
                         "the session renewed with the refresh token", timeout_s=30)
            else:
                assert renewed()
            keycloak.set_enabled(user.username, False)
            try:
                wait_for(browser, lambda d, page=page: (d.get(page) or True) and not d.current_url.startswith(page),
                         "the disabled user sent to sign in again", timeout_s=30)
                assert browser.find_elements(By.ID, "kc-login") or browser.find_elements(By.ID, "sign-in")
            finally:
                keycloak.set_enabled(user.username, True)
    finally:
        keycloak.update_realm(accessTokenLifespan=300)


def test_signing_out_ends_the_session_at_keycloak(keycloak: Keycloak, platform, users, browser):
    from selenium.webdriver.common.by import By

    desk = platform["desk"]

    def sessions() -> set[str]:
        return {s["id"] for s in keycloak.admin("GET", f"/open-appeals/users/{keycloak.user_id('operator')}/sessions").json()}

    earlier = sessions()  # the operator's sessions of other browsers (an earlier test's) stay
    sign_in(browser, f"{desk}/sign-in", users["operator"], lambda d: d.current_url.startswith(f"{desk}/register"))
    # Signed in at Keycloak, another sign-in of the same browser needs no password (single sign-on).
    browser.get(f"{desk}/sign-in")
    wait_for(browser, lambda d: d.current_url.startswith(f"{desk}/register"), "single sign-on without a password")
    this_browser = sessions() - earlier
    assert len(this_browser) == 1
    browser.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button").click()
    wait_for(browser, lambda d: d.current_url.rstrip("/") == desk, "signed out of the desk")
    assert sessions() == earlier
    browser.get(f"{desk}/sign-in")
    wait_for(browser, lambda d: d.find_elements(By.ID, "kc-login"), "Keycloak asking for the password again")


async def test_a_key_rotated_in_keycloak_is_picked_up_without_a_restart(keycloak: Keycloak, platform):
    old = keycloak.service_token(PORTAL_SERVICE_CLIENT_ID)
    async with httpx.AsyncClient(base_url=platform["intake"], timeout=30) as intake:
        assert (await intake.post("/v1/appeals", json=appeal(f"{TAG}-a"), headers=bearer(old))).status_code == 201
        kid = keycloak.rotate_key()
        new = keycloak.service_token(PORTAL_SERVICE_CLIENT_ID)
        assert jwt.get_unverified_header(new)["kid"] == kid != jwt.get_unverified_header(old)["kid"]

        async def accepted() -> bool:
            reply = await intake.post("/v1/appeals", json=appeal(f"{TAG}-b"), headers=bearer(new))
            return reply.status_code == 201

        # The verifier fetches the keys again for an unknown key id (at most every 30 s).
        await eventually(accepted, "intake verifying a token of the new key", timeout_s=60)
        # Tokens of the old key, still published, keep working until they run out.
        assert (await intake.post("/v1/appeals", json=appeal(f"{TAG}-c"), headers=bearer(old))).status_code == 201
