"""`make run`'s launcher as a person starts it (`appeals-stack run`, the same command the
Makefile runs): it brings the platform up on the fixed ports, a scripted check submits an
appeal over HTTP and sees it through to closed, and Ctrl-C stops everything cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import ExecutorAnswerSubmitted
from appeals_devstack.ports import free_port
from appeals_devstack.services import SERVICES
from appeals_devstack.portal_keys import PortalKeys
from appeals_devstack.testing import VALID_IIN, eventually, produce
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration
LAUNCHER = Path(sys.executable).with_name("appeals-stack")


def _busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0




@pytest.mark.skipif(any(_busy(s.http_port) for s in SERVICES), reason="a `make run` is already running here")
async def test_make_run_brings_the_platform_up_and_an_appeal_through(tmp_path: Path):
    kafka_port = free_port()
    output = (tmp_path / "run.out").open("w+")
    launcher = subprocess.Popen([str(LAUNCHER), "run", "--state-dir", str(tmp_path / "state"), "--fresh",
                                 "--kafka-port", str(kafka_port), "--issuer-port", str(free_port()),
                                 "--demo", "--demo-rate", "3", "--demo-seconds", "600"],
                                stdout=output, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        def ready() -> bool:
            assert launcher.poll() is None, (tmp_path / "run.out").read_text()
            return "Running. Ctrl-C stops everything." in (tmp_path / "run.out").read_text()

        await eventually(ready, timeout_s=180, interval_s=0.5, what="make run to get ready")
        text = (tmp_path / "run.out").read_text()
        for service in SERVICES:
            assert f"http://127.0.0.1:{service.http_port}/docs" in text
        assert "Staff console: http://127.0.0.1:8005/console/" in text and "demo-users.json" in text
        async with httpx.AsyncClient(timeout=30) as browser:  # the console's sign-in reaches the issuer's page
            front = await browser.get("http://127.0.0.1:8005/console/")
            assert front.status_code == 200 and 'href="/console/sign-in"' in front.text
            to_issuer = await browser.get("http://127.0.0.1:8005/console/sign-in")
            assert to_issuer.status_code == 303 and "code_challenge_method=S256" in to_issuer.headers["location"]
            page = await browser.get(to_issuer.headers["location"])
            assert page.status_code == 200 and 'name="password"' in page.text

        token = subprocess.run([str(LAUNCHER), "token", "--state-dir", str(tmp_path / "state"), "--role", "operator",
                                "--role", "inspector", "--sub", "staff-1"], capture_output=True, text=True, check=True)
        async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {token.stdout.strip()}"}) as http:
            created = await http.post("http://127.0.0.1:8001/v1/appeals", json={
                "channel": "front_office", "channel_message_id": f"fo-{uuid.uuid4().hex[:8]}", "kind": "request",
                "category": "landscaping", "district": "bostandyk", "language": "kk", "text": "Саябақтағы шамдар жанбайды.",
                "citizen": {"name": "Test", "iin": VALID_IIN, "phone": "+77015550000"}})
            assert created.status_code == 201, created.text
            number, appeal_id = created.json()["registration_number"], created.json()["appeal_id"]

            async def status(want):
                body = (await http.get(f"http://127.0.0.1:8001/v1/appeals/{number}")).json()
                return body if want(body) else None
            assigned = await eventually(lambda: status(lambda s: s["executor_code"] and s["due_at"]), "assignment")
            action = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.UUID(appeal_id),
                                             executor_code=assigned["executor_code"], employee_id="e-1",
                                             text="Шамдар жөнделді.", language="kk", submitted_at=Clock().now())
            envelope = Envelope.wrap(action, source="/portals/test", subject=appeal_id, time=Clock().now())
            portal = PortalKeys(tmp_path / "state" / "portal-keys")  # make run made the executors' keys there
            await produce(f"127.0.0.1:{kafka_port}", "appeals.executor-actions.v1",
                          [portal.signed_record(assigned["executor_code"], envelope, appeal_id)])

            async def queued():
                rows = (await http.get("http://127.0.0.1:8005/v1/queue")).json()
                return next((r for r in rows if r["appeal_id"] == appeal_id), None)
            answer = await eventually(queued, "the review queue")
            accepted = await http.post(f"http://127.0.0.1:8005/v1/answers/{answer['answer_id']}/accept")
            assert accepted.status_code == 200
            closed = await eventually(lambda: status(lambda s: s["status"] == "closed"), "closed")
            assert closed["answer"] == "Шамдар жөнделді."
        sms = tmp_path / "state" / "sms.jsonl"
        await eventually(lambda: sms.is_file() and number in sms.read_text(), "the citizen's SMS")
        # the SMS links to the citizen's portal, whose address make run printed, and the page opens
        assert "Citizen's portal: http://127.0.0.1:8006/" in (tmp_path / "run.out").read_text()
        link = next(re.search(r"http://\S+", m["text"]).group(0) for m in map(json.loads, sms.read_text().splitlines())
                    if number in m["text"])
        assert link.startswith(f"http://127.0.0.1:8006/s/{number}/")
        async with httpx.AsyncClient(timeout=30) as browser:
            page = await browser.get(link, headers={"Accept-Language": "kk"})
        assert page.status_code == 200 and number in page.text and '<html lang="kk">' in page.text
        await eventually(lambda: "[demo " in (tmp_path / "run.out").read_text(), "the demo's progress line")
    finally:
        launcher.send_signal(signal.SIGINT)
        code = launcher.wait(timeout=90)
    console = (tmp_path / "run.out").read_text()
    assert code == 0 and console.rstrip().endswith("Stopping…\nStopped."), console[-3000:]
    # The platform's own lines only: no consumer-group chatter, no HTTP request lines, no mail
    # sink lines (they name recipients), no tracebacks; all that is in the log files.
    for chatter in ("RCPT", "HTTP Request", "aiokafka", "Heartbeat", "Traceback", "@example"):
        assert chatter not in console, chatter
    assert (tmp_path / "state" / "logs" / "stack.log").read_text() and "RCPT" not in (
        tmp_path / "state" / "logs" / "stack.log").read_text()

