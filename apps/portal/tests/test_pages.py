"""The portal's pages through its ASGI app with the platform's services unreachable: what a
citizen sees when things go wrong (a form posted from elsewhere, too many requests, a service
down, an unknown page) and the headers every page carries. The happy paths, against the real
services, are in tests/integration/test_portal.py."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from appeals_portal.bootstrap import build_app
from appeals_portal.config import PortalSettings

NOWHERE = "http://127.0.0.1:9"  # nothing listens: every call to the platform fails at once


@pytest.fixture()
def portal() -> Iterator[TestClient]:
    settings = PortalSettings(portal_secret_key="s" * 40, portal_service_client_secret="c", intake_url=NOWHERE,
                              inspection_url=NOWHERE, oidc_issuer=NOWHERE, submit_limit_per_address="2/hour",
                              lookup_limit_per_address="3/minute")
    with TestClient(build_app(settings), base_url="https://portal.test") as client:
        yield client


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def form(**values: str) -> dict:
    return {"category": "road_repair", "kind": "complaint", "text": "Яма на дороге у дома 5.", **values}


NO_FILE = {"photos": ("", b"", "application/octet-stream")}


def test_every_page_carries_its_headers_and_speaks_the_browsers_language(portal):
    page = portal.get("/", headers={"Accept-Language": "kk-KZ,kk;q=0.9"})
    assert page.status_code == 200 and '<html lang="kk">' in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["x-frame-options"] == "DENY"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    english = portal.get("/submit?lang=en")
    assert '<html lang="en">' in english.text and "Write an appeal" in english.text
    assert '<html lang="en">' in portal.get("/").text, "the choice is remembered"


def test_a_form_posted_without_this_browsers_token_is_refused_in_words(portal):
    portal.get("/submit?category=road_repair&lang=ru")
    refused = portal.post("/submit", data=form(csrf_token="forged"), files=NO_FILE)
    assert refused.status_code == 403 and "Форма устарела" in refused.text
    other = TestClient(portal.app, base_url="https://portal.test")  # another browser, the first one's token
    token = csrf(portal.get("/submit?category=road_repair").text)
    assert other.post("/submit", data=form(csrf_token=token), files=NO_FILE).status_code == 403
    assert portal.post("/s/OA-2026-00000001/x/verdict", data={"resolved": "yes"}).status_code == 403
    # the switch on a page answering a form leads to a page, not to the form's POST route
    assert 'href="/s/OA-2026-00000001/x?lang=kk"' in portal.post("/s/OA-2026-00000001/x/verdict",
                                                                   data={"resolved": "yes"}).text


def test_a_service_down_keeps_what_was_typed_and_too_many_gets_a_readable_429(portal):
    token = csrf(portal.get("/submit?category=road_repair&lang=ru").text)
    down = portal.post("/submit", data=form(csrf_token=token, name="Бауыржан"), files=NO_FILE)
    assert down.status_code == 503 and "Ваш текст сохранён" in down.text
    assert "Яма на дороге у дома 5." in down.text and 'value="Бауыржан"' in down.text
    portal.post("/submit", data=form(csrf_token=token), files=NO_FILE)
    limited = portal.post("/submit", data=form(csrf_token=token), files=NO_FILE)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "Слишком много запросов" in limited.text and "Яма" not in limited.text
    for _ in range(3):
        portal.get("/s/OA-2026-00000001")
    assert portal.get("/s/OA-2026-00000001/x").status_code == 429


def test_unknown_pages_and_malformed_numbers_are_pages_not_faults(portal):
    missing = portal.get("/nowhere", headers={"Accept-Language": "ru"})
    assert missing.status_code == 404 and "Страница не найдена" in missing.text
    odd = portal.get("/s/%00%3Cscript%3E/x", headers={"Accept-Language": "ru"})
    assert odd.status_code == 404 and "Обращение не найдено" in odd.text and "<script>" not in odd.text
    assert portal.get("/submit?category=no-such-thing").status_code == 200  # the taxonomy again
    assert portal.get("/stats?week=2026-W99").status_code == 200
    assert portal.get("/stats?week=0001-W01").status_code == 200
    assert portal.get("/my", follow_redirects=False).headers["location"] == "/sign-in"
    assert portal.get("/static/../config.py").status_code == 404


def test_the_portal_does_not_start_without_its_keys():
    with pytest.raises(ValueError, match="PORTAL_SECRET_KEY"):
        with TestClient(build_app(PortalSettings(portal_service_client_secret="c"))):
            pass
