"""Places and the whole case, on the real broker and PostgreSQL: intake finds the district from
a point with the fixture's boundaries, routing routes by it, and a portal that reads only the
assignment topic (a plain aiokafka consumer) has everything it needs to answer the citizen."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from appeals_contracts.events import Location
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, expected_executor, produce, read_topic, submission, submission_record

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parents[2] / "services" / "intake" / "tests" / "fixtures" / "districts.FIXTURE.geojson"
IN_BOSTANDYK = Location(lat=43.20, long=76.95)  # inside the fixture's bostandyk rectangle
NORTH_OF_EVERY_DISTRICT = Location(lat=43.40, long=76.75)  # in the city's box, outside every district


@pytest.fixture(scope="module")
def services(own_stack: StackInfo, tmp_path_factory):
    stack = own_stack
    log_dir = tmp_path_factory.mktemp("places")
    env = {"intake": {"DISTRICTS_GEOJSON": str(FIXTURE)}}
    processes = {s.name: ServiceProcess(s, stack, log_dir, extra_env=env.get(s.name)).start()
                 for s in SERVICES if s.name in ("intake", "routing", "deadline-tracker")}
    for p in processes.values():
        p.wait_ready()
    yield processes
    for p in processes.values():
        p.stop()


def _mine(run: str):
    return lambda r: json.loads(r.value).get("channel_message_id", "").startswith(run)


async def test_a_point_is_routed_by_its_district_and_the_portal_gets_the_whole_case(
        own_stack: StackInfo, services: dict[str, ServiceProcess]):
    stack = own_stack
    run = f"places-{uuid.uuid4().hex[:8]}"
    located = submission(f"{run}-in", category="road_repair", district=None, location=IN_BOSTANDYK,
                         address="Al-Farabi avenue 77")
    outside = submission(f"{run}-out", category="road_repair", district=None, location=NORTH_OF_EVERY_DISTRICT)
    await produce(stack.bootstrap_servers, "appeals.intake.v1", [submission_record(located), submission_record(outside)])

    [rejection] = [json.loads(r.value) for r in await read_topic(
        stack.bootstrap_servers, "appeals.intake-rejected.v1",
        until=lambda rs: any(map(_mine(run), rs))) if _mine(run)(r)]
    assert rejection["channel_message_id"] == outside.channel_message_id
    assert [r["field"] for r in rejection["reasons"]] == ["location"]
    assert "outside every district" in rejection["reasons"][0]["message"]
    assert "43.4" not in json.dumps(rejection)  # the reason does not repeat the place

    [registered] = [json.loads(r.value) for r in await read_topic(
        stack.bootstrap_servers, "appeals.registered.v1", until=lambda rs: any(map(_mine(run), rs))) if _mine(run)(r)]
    appeal_id = registered["appeal_id"]
    assert registered["district"] == "bostandyk" and registered["location"] == {"lat": 43.2, "long": 76.95}

    # The portal: one plain consumer of the assignment topic, nothing else.
    assignments = await read_topic(stack.bootstrap_servers, "appeals.assigned.v1",
                                   until=lambda rs: any(json.loads(r.value)["appeal_id"] == appeal_id for r in rs))
    [assigned] = [json.loads(r.value) for r in assignments if json.loads(r.value)["appeal_id"] == appeal_id]
    assert assigned["district"] == "bostandyk"
    assert assigned["executor_code"] == expected_executor("road_repair", "bostandyk")
    case = assigned["case"]
    assert case["text"] == located.text and case["language"] == located.language and case["kind"] == located.kind
    assert case["address"] == "Al-Farabi avenue 77" and case["location"] == {"lat": 43.2, "long": 76.95}
    assert case["channel"] == located.channel and case["registered_at"]
    assert case["citizen"]["name"] == located.citizen.name and case["citizen"]["phone"] == located.citizen.phone
    assert case["citizen"]["email"] == located.citizen.email

    # The same case over the executor API, with the due time once the tracker scheduled it.
    executor = assigned["executor_code"]
    routing = services["routing"].base_url
    async with httpx.AsyncClient(base_url=routing) as http:
        own = stack.bearer("emp-1", "executor", executor_code=executor)

        async def with_due_time():
            r = await http.get(f"/v1/executors/{executor}/appeals/{appeal_id}", headers=own)
            return r.json() if r.status_code == 200 and r.json()["case"].get("due_at") else None

        body = await eventually(with_due_time, "the case with its due time")
        assert body["case"]["citizen"] == case["citizen"] and body["case"]["text"] == located.text
        other = "turksib_akimat" if executor != "turksib_akimat" else "medeu_akimat"
        stranger = stack.bearer("emp-2", "executor", executor_code=other)
        assert (await http.get(f"/v1/executors/{executor}/appeals/{appeal_id}", headers=stranger)).status_code == 403
        assert (await http.get(f"/v1/executors/{other}/appeals/{appeal_id}", headers=stranger)).status_code == 404
        assert (await http.get(f"/v1/executors/{executor}/appeals/{appeal_id}")).status_code == 401


async def test_an_anonymous_case_carries_no_contact(own_stack: StackInfo, services: dict[str, ServiceProcess]):
    stack = own_stack
    run = f"anon-{uuid.uuid4().hex[:8]}"
    anonymous = submission(f"{run}-1", category="other_akimat_matters", anonymous=True, reports_crime_or_threat=True,
                           citizen=None, district=None, location=IN_BOSTANDYK)
    await produce(stack.bootstrap_servers, "appeals.intake.v1", [submission_record(anonymous)])
    [registered] = [json.loads(r.value) for r in await read_topic(
        stack.bootstrap_servers, "appeals.registered.v1", until=lambda rs: any(map(_mine(run), rs))) if _mine(run)(r)]
    records = await read_topic(stack.bootstrap_servers, "appeals.assigned.v1",
                               until=lambda rs: any(json.loads(r.value)["appeal_id"] == registered["appeal_id"] for r in rs))
    [assigned] = [json.loads(r.value) for r in records if json.loads(r.value)["appeal_id"] == registered["appeal_id"]]
    assert assigned["case"]["anonymous"] is True and assigned["case"].get("citizen") is None
    assert assigned["case"]["text"] == anonymous.text
