"""Open311 GeoReport v2 as a third-party client (FixMyStreet and the like) uses it, against
intake, routing, the deadline tracker and inspection as processes on the real broker and
PostgreSQL: list services, post a form-encoded request, follow it until it is closed."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import ExecutorAnswerSubmitted
from appeals_contracts.reference import load_reference
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, expected_executor, produce
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parents[2] / "services" / "intake" / "tests" / "fixtures" / "districts.FIXTURE.geojson"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def services(own_stack: StackInfo, tmp_path_factory):
    stack = own_stack
    log_dir = tmp_path_factory.mktemp("open311")
    env = {"intake": {"DISTRICTS_GEOJSON": str(FIXTURE)}}
    processes = {s.name: ServiceProcess(s, stack, log_dir, extra_env=env.get(s.name)).start()
                 for s in SERVICES if s.name in ("intake", "routing", "deadline-tracker", "inspection")}
    for p in processes.values():
        p.wait_ready()
    yield processes
    for p in processes.values():
        p.stop()


def errors_of(response: httpx.Response) -> list[tuple[str, str]]:
    """(code, description) of the specification's error list, XML or JSON."""
    if response.headers["content-type"].startswith("text/xml"):
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        return [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")]
    return [(str(e["code"]), e["description"]) for e in response.json()]


async def test_services_in_three_locales_and_both_formats(services):
    ref = load_reference()
    async with httpx.AsyncClient(base_url=services["intake"].base_url + "/open311") as http:
        for locale in ("kk", "ru", "en"):
            as_json = await http.get("/v2/services.json", params={"locale": locale})
            assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json; charset=utf-8"
            names = {s["service_code"]: s["service_name"] for s in as_json.json()}
            assert names["road_repair"] == ref.categories.entries["road_repair"].names[locale]
            assert set(names) == {c for c, e in ref.categories.entries.items() if e.attributes.get("active", True)}
            road = next(s for s in as_json.json() if s["service_code"] == "road_repair")
            assert road["metadata"] is True and road["type"] == "realtime" and road["group"] == "infrastructure"
            assert road["keywords"] == ref.categories.entries["road_repair"].attributes["keywords"][locale]

            as_xml = await http.get("/v2/services.xml", headers={"Accept-Language": f"{locale};q=0.9"})
            assert as_xml.headers["content-type"] == "text/xml; charset=utf-8"
            assert as_xml.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
            root = ET.fromstring(as_xml.content)
            assert root.tag == "services"
            assert {s.findtext("service_code"): s.findtext("service_name") for s in root.findall("service")} == names

        definition = ET.fromstring((await http.get("/v2/services/road_repair.xml", params={"locale": "en"})).content)
        attributes = definition.find("attributes").findall("attribute")
        defect = next(a for a in attributes if a.findtext("code") == "defect")
        assert defect.findtext("datatype") == "singlevaluelist" and defect.findtext("required") == "false"
        assert "pothole" in [v.findtext("key") for v in defect.find("values").findall("value")]
        discovery = (await http.get("/discovery.json")).json()
        assert discovery["endpoints"][0]["url"].endswith("/open311/v2")


async def test_a_request_from_post_to_closed(own_stack: StackInfo, services):
    stack = own_stack
    intake = services["intake"].base_url + "/open311"
    run = uuid.uuid4().hex[:8]
    form = {"api_key": stack.open311_api_key, "service_code": "road_repair", "lat": "43.2", "long": "76.95",
            "address_string": "Al-Farabi avenue 77, Almaty", "attribute[defect]": "pothole",
            "attribute[lanes_blocked]": "1", "email": f"reporter-{run}@example.org", "first_name": "Dana",
            "last_name": "Seitkali", "description": "A deep pothole in the right lane near the bus stop.",
            "account_id": f"acct-{run}", "device_id": "device-1"}
    async with httpx.AsyncClient(base_url=intake, timeout=30) as http:
        key = f"req-{run}"
        created = await http.post("/v2/requests.json", data=form, headers={"Idempotency-Key": key})
        assert created.status_code == 201, created.text
        [answer] = created.json()
        number = answer["service_request_id"]
        assert answer["account_id"] == f"acct-{run}" and "token" not in answer
        again = await http.post("/v2/requests.xml", data=form, headers={"Idempotency-Key": key})
        assert again.status_code == 200
        assert ET.fromstring(again.content).find("request").findtext("service_request_id") == number
        token = await http.get(f"/v2/tokens/{key}.json", params={"api_key": stack.open311_api_key})
        assert token.json() == [{"service_request_id": number, "token": key}]

        one = await http.get(f"/v2/requests/{number}.json", params={"locale": "en"})
        [view] = one.json()
        assert view["status"] == "open" and view["service_code"] == "road_repair"
        assert view["service_name"] == "Road repair" and view["requested_datetime"].endswith("Z")
        assert view["address"] == "Bostandyk district"  # the district found from the point; never the address
        for private in ("Dana", "Seitkali", "reporter-", "Al-Farabi", "pothole in the right lane", "43.2", "device-1"):
            assert private not in one.text

        now = Clock().now()
        window = {"start_date": (now - timedelta(days=1)).isoformat(), "end_date": (now + timedelta(minutes=5)).isoformat()}
        listed = await http.get("/v2/requests.xml", params={**window, "service_code": "road_repair", "status": "open"})
        assert number in [r.findtext("service_request_id") for r in ET.fromstring(listed.content).findall("request")]
        elsewhere = await http.get("/v2/requests.json", params={**window, "service_code": "education"})
        assert number not in [r["service_request_id"] for r in elsewhere.json()]

        # The lifecycle: the executor answers through its portal, an inspector accepts.
        async def assigned():
            [v] = (await http.get(f"/v2/requests/{number}.json")).json()
            return v if v["agency_responsible"] and v["expected_datetime"] else None
        await eventually(assigned, "the request with its executor and due time")
        executor = expected_executor("road_repair", "bostandyk")
        routing = httpx.AsyncClient(base_url=services["routing"].base_url)
        mine = (await routing.get(f"/v1/executors/{executor}/assignments",
                                  headers=stack.bearer("emp-1", "executor", executor_code=executor))).json()
        [held] = [i for i in mine["items"] if i["registration_number"] == number]
        case = (await routing.get(f"/v1/executors/{executor}/appeals/{held['appeal_id']}",
                                  headers=stack.bearer("emp-1", "executor", executor_code=executor))).json()["case"]
        assert case["attributes"] == {"defect": "pothole", "lanes_blocked": "1"} and case["channel"] == "open311"
        assert case["citizen"]["email"] == form["email"] and case["citizen"]["name"] == "Dana Seitkali"
        action = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.UUID(held["appeal_id"]),
                                         executor_code=executor, employee_id="emp-1", language="ru",
                                         text="Яма заделана.", submitted_at=Clock().now())
        envelope = Envelope.wrap(action, source=f"/portals/{executor}", subject=held["appeal_id"], time=Clock().now())
        await produce(stack.bootstrap_servers, "appeals.executor-actions.v1", [stack.signed_action(executor, envelope)])
        inspection = httpx.AsyncClient(base_url=services["inspection"].base_url,
                                       headers=stack.bearer("insp-1", "inspector"))

        async def queued():
            rows = (await inspection.get("/v1/queue", params={"executor": executor})).json()
            return next((r for r in rows if r["appeal_id"] == held["appeal_id"]), None)
        queued_answer = await eventually(queued, "the answer in the review queue")
        assert (await inspection.post(f"/v1/answers/{queued_answer['answer_id']}/accept")).status_code == 200

        async def closed():
            [v] = (await http.get(f"/v2/requests/{number}.json")).json()
            return v if v["status"] == "closed" else None
        assert (await eventually(closed, "the request closed"))["status_notes"]
        closed_list = await http.get("/v2/requests.json", params={**window, "status": "closed"})
        assert number in [r["service_request_id"] for r in closed_list.json()]
        await routing.aclose()
        await inspection.aclose()


async def test_refusals_in_the_specifications_format(own_stack: StackInfo, services):
    stack = own_stack
    base = {"service_code": "road_repair", "lat": "43.2", "long": "76.95", "description": "Broken street light here.",
            "email": "x@example.org", "first_name": "A"}
    async with httpx.AsyncClient(base_url=services["intake"].base_url + "/open311") as http:
        for fmt in ("xml", "json"):
            bad_key = await http.post(f"/v2/requests.{fmt}", data={**base, "api_key": "not-a-key"})
            assert bad_key.status_code == 403 and errors_of(bad_key)[0][0] == "403"
            no_key = await http.post(f"/v2/requests.{fmt}", data=base)
            assert no_key.status_code == 403 and "api_key" in errors_of(no_key)[0][1]
            unknown = await http.post(f"/v2/requests.{fmt}", data={**base, "api_key": stack.open311_api_key,
                                                                   "service_code": "weather"})
            assert unknown.status_code == 400 and "service_code" in errors_of(unknown)[0][1]
            missing = await http.get(f"/v2/requests/OA-1999-99999999.{fmt}")
            assert missing.status_code == 404 and errors_of(missing) == [("404", "service_request_id was not found")]
            no_service = await http.get(f"/v2/services/weather.{fmt}")
            assert no_service.status_code == 404 and errors_of(no_service)[0][0] == "404"

        key = {"api_key": stack.open311_api_key}
        outside = await http.post("/v2/requests.json", data={**base, **key, "lat": "43.40", "long": "76.75"})
        assert outside.status_code == 400 and "outside every district" in errors_of(outside)[0][1]
        no_place = await http.post("/v2/requests.json", data={k: v for k, v in {**base, **key}.items()
                                                              if k not in ("lat", "long")})
        assert no_place.status_code == 400 and "location is required" in errors_of(no_place)[0][1]
        bad_attr = await http.post("/v2/requests.json", data={**base, **key, "attribute[defect]": "volcano"})
        assert bad_attr.status_code == 400 and errors_of(bad_attr)[0][1].startswith("attribute[defect]:")
        too_long = await http.get("/v2/requests.json", params={"start_date": "2026-01-01T00:00:00Z",
                                                                "end_date": "2026-06-01T00:00:00Z"})
        assert too_long.status_code == 400 and "90 days" in errors_of(too_long)[0][1]
        json_body = await http.post("/v2/requests.json", json=base, params=key)
        assert json_body.status_code == 400 and "x-www-form-urlencoded" in errors_of(json_body)[0][1]
        bad_format = await http.get("/v2/services.yaml")
        assert bad_format.status_code == 404 and bad_format.headers["content-type"].startswith("text/xml")
