"""Links between appeals on the real broker and PostgreSQL. Re-appeals: the same citizen (by
IIN) writing again on the same category and district is linked to the earlier appeal, with no
plain IIN, phone or e-mail in intake's link tables, on the links topic, in intake's log or in
inspection's chain. Possible duplicates: three reports of one pothole are linked to the first."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx
import pytest

from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, read_topic

pytestmark = pytest.mark.integration


def planted_iin() -> str:
    """A valid IIN of its own (born 2 Feb 1982), so the searches find only this test's."""
    from appeals_intake.domain.iin import check_digit

    for serial in range(uuid.uuid4().int % 9000, 10_000):
        first = f"8202024{serial:04d}"
        if (digit := check_digit(first)) is not None:
            return first + str(digit)
    raise AssertionError("no IIN")


@pytest.fixture(scope="module")
def services(stack: StackInfo, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("links")
    processes = {s.name: ServiceProcess(s, stack, log_dir).start() for s in SERVICES if s.name in ("intake", "inspection")}
    for p in processes.values():
        p.wait_ready()
    yield processes
    for p in processes.values():
        p.stop()


async def test_a_re_appeal_by_the_same_iin_is_linked_without_plain_personal_data(stack: StackInfo, services):
    iin, run = planted_iin(), uuid.uuid4().hex[:8]
    phone, email = f"+7701{uuid.uuid4().int % 10**7:07d}", f"re-{run}@example.org"
    intake = httpx.AsyncClient(base_url=services["intake"].base_url, headers=stack.bearer("op-1", "operator"))

    async def submit(message: str, citizen: dict, district: str = "zhetysu") -> dict:
        created = await intake.post("/v1/appeals", json={
            "channel": "contact_centre", "channel_message_id": f"{run}-{message}", "kind": "complaint",
            "category": "landscaping", "district": district, "language": "ru",
            "text": "The playground in our yard is broken again.", "citizen": citizen})
        assert created.status_code == 201, created.text
        return created.json()

    first = await submit("1", {"name": "Asel", "iin": iin, "email": email})
    second = await submit("2", {"name": "Asel N.", "iin": iin, "phone": phone})  # another contact, same person
    unrelated = await submit("3", {"name": "Asel", "iin": iin, "email": email}, district="medeu")  # another place

    def mine(r) -> bool:
        return json.loads(r.value)["appeal_id"] in (second["appeal_id"], unrelated["appeal_id"])
    records = await read_topic(stack.bootstrap_servers, "appeals.links.v1", until=lambda rs: any(map(mine, rs)))
    [link] = [json.loads(r.value) for r in records if mine(r)]
    assert link["appeal_id"] == second["appeal_id"] and link["earlier_appeal_id"] == first["appeal_id"]
    assert link["matched_by"] == "iin" and link["earlier_registration_number"] == first["registration_number"]

    # Whoever submitted the second appeal (with the first one's IIN, say) learns nothing of the
    # first from its status; staff see the link.
    async def staff_sees_the_link():
        r = await intake.get(f"/v1/appeals/{second['registration_number']}")
        return any(e["event_type"] == "appeal.re_appeal_linked" for e in r.json()["timeline"])
    await eventually(staff_sees_the_link, "the link on the staff's timeline")
    citizen = await intake.get(second["status_url"], headers={"Authorization": ""})
    assert citizen.status_code == 200, citizen.text
    assert first["registration_number"] not in citizen.text and "re_appeal" not in citizen.text

    plain = (iin, phone, email, phone.removeprefix("+"))
    for record in records:
        assert not any(p in (record.value or b"").decode() for p in plain)
        assert not any(p in json.dumps([(k, v.decode(errors="replace")) for k, v in record.headers]) for p in plain)
    db = await asyncpg.connect(stack.database_url("intake"))
    try:
        for table in ("citizen_marks", "re_appeals"):
            rows = json.dumps([dict(r) for r in await db.fetch(f"SELECT * FROM {table}")], default=str)
            assert not any(p in rows for p in plain), table
        marks = await db.fetch("SELECT kind FROM citizen_marks WHERE appeal_id = $1", uuid.UUID(second["appeal_id"]))
        assert sorted(r["kind"] for r in marks) == ["iin", "phone"]
    finally:
        await db.close()
    assert not any(p in services["intake"].log_path.read_text() for p in plain)

    inspection = httpx.AsyncClient(base_url=services["inspection"].base_url,
                                   headers=stack.bearer("insp-1", "inspector"))

    async def chain():
        r = await inspection.get(f"/v1/appeals/{second['appeal_id']}")
        return r.json()["re_appeal_chain"] if r.status_code == 200 and r.json().get("re_appeal_chain") else None
    numbers = [a["registration_number"] for a in await eventually(chain, "the chain in inspection")]
    assert numbers == [first["registration_number"], second["registration_number"]]
    await intake.aclose()
    await inspection.aclose()


async def test_three_reports_of_one_pothole_are_linked_to_the_first(stack: StackInfo, services):
    run = uuid.uuid4().hex[:8]
    base = 43.10 + (uuid.uuid4().int % 1000) / 10_000  # a spot of this run's own, so other runs do not match
    intake = httpx.AsyncClient(base_url=services["intake"].base_url, headers=stack.bearer("op-1", "operator"))
    numbers = []
    for i, (d_lat, d_long) in enumerate([(0, 0), (0.0002, 0), (0, 0.0003)]):  # ~22 m and ~24 m away
        created = await intake.post("/v1/appeals", json={
            "channel": "contact_centre", "channel_message_id": f"{run}-p{i}", "kind": "complaint",
            "category": "road_repair", "district": "bostandyk", "location": {"lat": base + d_lat, "long": 76.9 + d_long},
            "language": "ru", "text": "A deep pothole in the right lane.",
            "citizen": {"name": f"Reporter {i}", "phone": f"+7701{uuid.uuid4().int % 10**7:07d}"}})
        assert created.status_code == 201, created.text
        numbers.append(created.json())
    first, *later = numbers
    ids = {n["appeal_id"] for n in later}

    def mine(r) -> bool:
        return dict(r.headers)["ce_type"] == b"appeal.duplicate_linked" and json.loads(r.value)["appeal_id"] in ids
    records = await read_topic(stack.bootstrap_servers, "appeals.links.v1",
                               until=lambda rs: sum(map(mine, rs)) >= 2)
    links = [json.loads(r.value) for r in records if mine(r)]
    assert {link["original_appeal_id"] for link in links} == {first["appeal_id"]}
    assert all(link["matched_by"] == "location" and link["distance_m"] <= 50 for link in links)

    inspection = httpx.AsyncClient(base_url=services["inspection"].base_url,
                                   headers=stack.bearer("insp-1", "inspector"))

    async def shown():
        r = await inspection.get(f"/v1/appeals/{first['appeal_id']}")
        found = r.json().get("possible_duplicates") if r.status_code == 200 else None
        return found if found and len(found) == 2 else None
    duplicates = await eventually(shown, "the possible duplicates in the original's history")
    assert {d["registration_number"] for d in duplicates} == {n["registration_number"] for n in later}
    await intake.aclose()
    await inspection.aclose()
