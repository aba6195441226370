"""POST /v1/appeals and GET /v1/appeals/{number} on a running intake, with the timeline fed
by other services' events from Kafka."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealAssigned, DeadlineScheduled
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import VALID_IIN, eventually, produce
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def intake(stack: StackInfo, tmp_path_factory):
    process = ServiceProcess(next(s for s in SERVICES if s.name == "intake"), stack,
                             tmp_path_factory.mktemp("intake-http"),
                             extra_env={"OTEL_TRACES_EXPORTER": "console", "LOG_LEVEL": "DEBUG"}).start()
    process.wait_ready()
    yield process
    process.stop()


def body(message_id: str, **changes) -> dict:
    return {"channel": "front_office", "channel_message_id": message_id, "kind": "statement",
            "category": "kindergarten_referral", "district": "auezov", "language": "kk",
            "text": "Балабақшаға жолдама беруіңізді сұраймын.",
            "citizen": {"name": "Dana K.", "iin": VALID_IIN, "phone": "+77011234567"}, **changes}


async def test_submit_repeat_and_refuse(stack: StackInfo, intake: ServiceProcess):
    message_id = f"fo-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=intake.base_url, headers=stack.bearer("op-1", "operator")) as client:
        first = await client.post("/v1/appeals", json=body(message_id))
        assert first.status_code == 201, first.text
        number = first.json()["registration_number"]
        assert number.startswith(f"OA-{Clock().now().year}-")

        again = await client.post("/v1/appeals", json=body(message_id))
        assert again.status_code == 200 and again.json()["registration_number"] == number
        assert again.json()["repeated"] is True

        refused = await client.post("/v1/appeals", json=body("fo-bad", category="weather",
                                                              citizen={"name": "A", "iin": "123", "phone": "+77011234567"}))
        assert refused.status_code == 422
        fields = {r["field"] for r in refused.json()["reasons"]}
        assert fields == {"category", "citizen.iin"}
        assert VALID_IIN not in refused.text

        shape = await client.post("/v1/appeals", json={"channel": "portal"})
        assert shape.status_code == 422 and {"kind", "category", "text", "language"} <= {
            r["field"] for r in shape.json()["reasons"]}
        not_json = await client.post("/v1/appeals", content=b"{oops", headers={"content-type": "application/json"})
        assert not_json.status_code == 422

        missing = await client.get("/v1/appeals/OA-1999-00000000")
        assert missing.status_code == 404

    # The citizen follows the appeal with the number and its token; a guess looks unknown.
    created = first.json()
    assert len(created["status_token"]) >= 32 and again.json()["status_token"] == created["status_token"]
    async with httpx.AsyncClient(base_url=intake.base_url) as citizen:
        mine = await citizen.get(created["status_url"])
        assert mine.status_code == 200 and mine.json()["registration_number"] == created["registration_number"]
        assert "Dana" not in mine.text
        for wrong in ("", "?token=", "?token=" + created["status_token"][:-2] + "xx"):
            guessed = await citizen.get(f"/v1/status/{created['registration_number']}{wrong}")
            assert (guessed.status_code, guessed.json()) == (
                404, {"detail": f"no appeal numbered {created['registration_number']}"}), "same as an unknown number"
        assert (await citizen.get(f"/v1/appeals/{created['registration_number']}")).status_code == 401

    # Only operators and adapters submit; a caller without a token is challenged.
    anonymous = await httpx.AsyncClient(base_url=intake.base_url).post("/v1/appeals", json=body("fo-anon"))
    assert anonymous.status_code == 401 and "bearer" in anonymous.headers["www-authenticate"].lower()
    async with httpx.AsyncClient(base_url=intake.base_url, headers=stack.bearer("akim-1", "akim_office")) as akim:
        assert (await akim.post("/v1/appeals", json=body("fo-akim"))).status_code == 403
        assert (await akim.get(f"/v1/appeals/{first.json()['registration_number']}")).status_code == 403
    async with httpx.AsyncClient(base_url=intake.base_url, headers=stack.bearer("tg-adapter", "adapter")) as adapter:
        assert (await adapter.post("/v1/appeals", json=body(f"fo-{uuid.uuid4().hex[:8]}"))).status_code == 201


async def test_a_citizen_signed_in_follows_their_own_appeals_only(stack: StackInfo, intake: ServiceProcess):
    """A citizen with a token of the city's IdP submits in person and follows the appeal by
    that token; another citizen's token, a staff token or none gets the unknown number's 404."""
    aigerim, bolat = stack.bearer("egov-aigerim", "citizen"), stack.bearer("egov-bolat", "citizen")
    message_id = f"portal-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=intake.base_url) as http:
        created = await http.post("/v1/appeals", headers=aigerim, json=body(message_id, channel="portal"))
        assert created.status_code == 201, created.text
        number = created.json()["registration_number"]

        mine = await http.get(f"/v1/status/{number}", headers=aigerim)
        assert mine.status_code == 200 and mine.json()["registration_number"] == number
        listed = await http.get("/v1/my/appeals", headers=aigerim)
        assert [a["registration_number"] for a in listed.json()] == [number]

        for stranger in (bolat, stack.bearer("op-1", "operator"), {}):
            guessed = await http.get(f"/v1/status/{number}", headers=stranger)
            assert (guessed.status_code, guessed.json()) == (404, {"detail": f"no appeal numbered {number}"})
        assert (await http.get("/v1/my/appeals", headers=bolat)).json() == []
        assert (await http.get("/v1/my/appeals", headers=stack.bearer("op-1", "operator"))).status_code == 403
        forged = await http.get(f"/v1/status/{number}", headers={"Authorization": "Bearer not.a.token"})
        assert forged.status_code == 401, "a bad token is refused, not taken for none"

        # Another citizen repeating her message id does not get her appeal (nor its token) back.
        taken = await http.post("/v1/appeals", headers=bolat, json=body(message_id, channel="portal"))
        assert taken.status_code == 409 and "status_token" not in taken.text
        again = await http.post("/v1/appeals", headers=aigerim, json=body(message_id, channel="portal"))
        assert (again.status_code, again.json()["registration_number"]) == (200, number)
        # In person only through the self-service channels: a citizen is no front office.
        front = await http.post("/v1/appeals", headers=bolat, json=body(f"fo-{uuid.uuid4().hex[:8]}"))
        assert front.status_code == 422 and [r["field"] for r in front.json()["reasons"]] == ["channel"]


async def test_status_follows_other_services_events(stack: StackInfo, intake: ServiceProcess):
    async with httpx.AsyncClient(base_url=intake.base_url, headers=stack.bearer("op-1", "operator")) as client:
        created = (await client.post("/v1/appeals", json=body(f"fo-{uuid.uuid4().hex[:8]}"))).json()
        appeal_id = uuid.UUID(created["appeal_id"])
        now = Clock().now()
        due = now + timedelta(days=15)
        assigned = Envelope.wrap(AppealAssigned(
            appeal_id=appeal_id, registration_number=created["registration_number"], executor_code="auezov_akimat",
            reason="routing_rule", rule_id="r-1", category="kindergarten_referral", assigned_at=now),
            source="/services/routing", subject=str(appeal_id), time=Clock().now())
        scheduled = Envelope.wrap(DeadlineScheduled(
            appeal_id=appeal_id, policy_code="seed.calendar_15", regime="seed", due_at=due, scheduled_at=now),
            source="/services/deadline-tracker", subject=str(appeal_id), time=Clock().now())
        key = str(appeal_id).encode()
        await produce(stack.bootstrap_servers, "appeals.assigned.v1",
                      [(key, assigned.kafka_value(), assigned.kafka_headers())] * 2)  # a redelivery too
        await produce(stack.bootstrap_servers, "appeals.deadlines.v1",
                      [(key, scheduled.kafka_value(), scheduled.kafka_headers())])

        async def assigned_and_due() -> dict | None:
            status = (await client.get(created["status_url"])).json()
            return status if status["status"] == "assigned" and status["due_at"] else None

        status = await eventually(assigned_and_due, what="the timeline to follow the other services")
        assert status["executor_code"] == "auezov_akimat"
        assert datetime.fromisoformat(status["due_at"]) == due
        # (Earlier tests submitted for the same citizen: a re-appeal link may stand in the timeline too.)
        assert [e["event_type"] for e in status["timeline"] if not e["event_type"].endswith("_linked")] == [
            "appeal.registered", "appeal.assigned", "deadline.scheduled"]
        assert "citizen" not in status and "Dana" not in str(status)


async def test_traces_and_logs_carry_no_personal_data(stack: StackInfo, intake: ServiceProcess):
    """Spans go to the console exporter, i.e. into the same log file as the log lines."""
    citizen = {"name": "Zhanar Unique-Surname", "iin": VALID_IIN, "phone": "+77017654321",
               "email": "zhanar.unique@example.kz"}
    async with httpx.AsyncClient(base_url=intake.base_url, headers=stack.bearer("op-1", "operator")) as client:
        created = await client.post("/v1/appeals", json=body(f"fo-{uuid.uuid4().hex[:8]}", citizen=citizen))
        assert created.status_code == 201
        refused = await client.post("/v1/appeals", json=body("fo-pd", citizen={**citizen, "email": "bad@"}))
        assert refused.status_code == 422
    def exported() -> str | None:  # the batch span processor exports every few seconds
        text = intake.log_path.read_text("utf-8", "replace")
        return text if "appeals.registered.v1 publish" in text and "POST /v1/appeals" in text else None

    text = await eventually(exported, timeout_s=20, what="the spans to be exported")
    assert "INSERT INTO outbox" in text, "database calls are spans too"
    for value in ("Unique-Surname", VALID_IIN, "7017654321", "zhanar.unique", "bad@"):
        assert value not in text
