"""Trust at every hop, replayed against the running platform: each attack of a portal, an
adapter or a curious caller that got through before, refused now with nothing changed.

Intake, routing, the deadline tracker and inspection run as processes on a stack of this
module's own (real broker, real PostgreSQL, the local issuer's real tokens)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import AppealAnswered, ExecutorAnswerSubmitted, ExecutorExtensionRequested
from appeals_devstack.processes import services_running
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, header, produce, read_topic, submission
from appeals_runtime.clock import Clock

pytestmark = pytest.mark.integration

NAMES = ("intake", "routing", "deadline-tracker", "inspection")


@pytest.fixture(scope="module")
def attachments_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("trust-attachments")


@pytest.fixture(scope="module")
def platform(own_stack: StackInfo, tmp_path_factory, attachments_dir: Path):
    # Files nobody names are removed after 3 s here (a day by default), so the sweep is seen.
    env = {"intake": {"ATTACHMENTS_DIR": str(attachments_dir), "ATTACHMENT_ORPHAN_TTL_S": "3"}}
    with services_running(own_stack, tmp_path_factory.mktemp("trust"), NAMES, env=env) as processes:
        yield processes


@pytest.fixture(scope="module")
async def databases(own_stack: StackInfo):
    conns = {name: await asyncpg.connect(own_stack.database_url(name.replace("-", "_")))
             for name in ("intake", "routing", "inspection")}
    yield conns
    for c in conns.values():
        await c.close()


async def registered_and_assigned(stack: StackInfo, platform, databases) -> tuple[str, str, datetime]:
    """A new appeal submitted by an operator: (appeal id, its executor, registered at)."""
    async with httpx.AsyncClient(base_url=platform["intake"].base_url, timeout=30,
                                 headers=stack.bearer("op-trust", "operator")) as intake:
        body = submission(f"trust-{uuid.uuid4().hex[:10]}").model_dump(mode="json")
        created = (await intake.post("/v1/appeals", json=body)).json()
    appeal_id = created["appeal_id"]
    executor = await eventually(lambda: databases["routing"].fetchval(
        "SELECT executor_code FROM appeals WHERE appeal_id = $1 AND status = 'assigned'", uuid.UUID(appeal_id)),
        "routing to assign the appeal")
    return appeal_id, executor, datetime.fromisoformat(created["registered_at"])


async def rejection_of(stack: StackInfo, action_id: uuid.UUID) -> dict:
    records = await read_topic(stack.bootstrap_servers, "appeals.executor-actions-rejected.v1",
                               until=lambda rs: any(json.loads(r.value)["action_id"] == str(action_id) for r in rs))
    return next(json.loads(r.value) for r in records if json.loads(r.value)["action_id"] == str(action_id))


async def test_a_backdated_answer_and_a_late_extension_are_refused_and_the_platform_clock_decides(
        own_stack: StackInfo, platform, databases):
    stack = own_stack
    appeal_id, executor, registered_at = await registered_and_assigned(stack, platform, databases)

    def signed(action) -> tuple[bytes, bytes, list]:
        return stack.signed_action(executor, Envelope.wrap(action, source="/portals/test", subject=appeal_id,
                                                           time=Clock().now()))

    backdated = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code=executor,
                                        employee_id="e-1", text="Done long ago.", language="ru",
                                        submitted_at=datetime(2020, 1, 1, tzinfo=UTC))
    late = ExecutorExtensionRequested(action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code=executor,
                                      employee_id="e-1", reason="An on-site inspection is needed",
                                      requested_at=datetime(2020, 1, 1, tzinfo=UTC))
    future = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code=executor,
                                     employee_id="e-1", text="Done tomorrow.", language="ru",
                                     submitted_at=Clock().now() + timedelta(days=3))
    await produce(stack.bootstrap_servers, "appeals.executor-actions.v1", [signed(a) for a in (backdated, late, future)])
    assert "before the appeal was registered" in (await rejection_of(stack, backdated.action_id))["reason"]
    assert "before the appeal was registered" in (await rejection_of(stack, late.action_id))["reason"]
    assert "later than the platform's clock" in (await rejection_of(stack, future.action_id))["reason"]
    assert await databases["routing"].fetchval("SELECT status FROM appeals WHERE appeal_id = $1",
                                               uuid.UUID(appeal_id)) == "assigned"
    assert await databases["inspection"].fetchval("SELECT count(*) FROM answers WHERE appeal_id = $1",
                                                  uuid.UUID(appeal_id)) == 0

    # A believable portal time is kept as information; the answer's time is routing's receipt.
    claimed = registered_at + timedelta(microseconds=1)
    honest = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code=executor,
                                     employee_id="e-1", text="The benches are repaired.", language="ru",
                                     submitted_at=claimed)
    sent = Clock().now()
    await produce(stack.bootstrap_servers, "appeals.executor-actions.v1", [signed(honest)])
    row = await eventually(lambda: databases["inspection"].fetchrow(
        "SELECT submitted_at, portal_submitted_at FROM answers WHERE answer_id = $1", honest.action_id),
        "inspection to queue the answer")
    assert row["portal_submitted_at"] == claimed
    assert row["submitted_at"] >= sent - timedelta(seconds=1), "judged by routing's clock, not the portal's"


async def test_another_caller_repeating_an_idempotency_key_learns_nothing(own_stack: StackInfo, platform):
    stack = own_stack
    key = f"tg-{uuid.uuid4().hex[:8]}"  # guessable, as Telegram's message ids are
    first = submission(key).model_dump(mode="json")
    other = submission(key, anonymous=True, citizen=None, text="Someone else's text about a broken bench",
                       category="landscaping").model_dump(mode="json")
    async with httpx.AsyncClient(base_url=platform["intake"].base_url, timeout=30) as intake:
        created = await intake.post("/v1/appeals", json=first, headers=stack.bearer("op-first", "operator"))
        assert created.status_code == 201
        foreign = await intake.post("/v1/appeals", json=other, headers=stack.bearer("op-second", "operator"))
        assert foreign.status_code == 409
        assert foreign.json() == {"detail": "channel_message_id is taken; send a new one"}
        assert created.json()["status_token"] not in foreign.text
        assert created.json()["registration_number"] not in foreign.text
        again = await intake.post("/v1/appeals", json=first, headers=stack.bearer("op-first", "operator"))
        assert again.status_code == 200 and again.json()["status_token"] == created.json()["status_token"]


async def test_a_forged_answer_from_a_non_holder_is_dead_lettered_with_the_reason(own_stack: StackInfo, platform,
                                                                                  databases):
    stack = own_stack
    appeal_id, executor, _ = await registered_and_assigned(stack, platform, databases)
    await eventually(lambda: databases["inspection"].fetchval(
        "SELECT executor_code FROM appeals WHERE appeal_id = $1", uuid.UUID(appeal_id)), "inspection to know the holder")
    await eventually(lambda: databases["intake"].fetchval(
        "SELECT count(*) FROM appeal_timeline WHERE appeal_id = $1 AND event_type = 'appeal.assigned'",
        uuid.UUID(appeal_id)), "intake's timeline to show the assignment")
    other = "medeu_akimat" if executor != "medeu_akimat" else "almaly_akimat"
    forged = AppealAnswered(appeal_id=appeal_id, answer_id=uuid.uuid4(), executor_code=other, employee_id="x-1",
                            text="Resolved.", language="ru", submitted_at=Clock().now(),
                            received_at=Clock().now())
    envelope = Envelope.wrap(forged, source="/routing", subject=appeal_id, time=Clock().now())  # claims to be routing's
    await produce(stack.bootstrap_servers, "appeals.answered.v1",
                  [(appeal_id.encode(), envelope.kafka_value(), envelope.kafka_headers())])
    for service in ("inspection", "intake"):
        records = await read_topic(stack.bootstrap_servers, f"appeals.answered.v1.dlq.{service}",
                                   until=lambda rs: any(header(r, "ce_id") == str(envelope.id) for r in rs))
        [dead] = [r for r in records if header(r, "ce_id") == str(envelope.id)]
        assert "NotBelieved" in header(dead, "dlq_reason") and other in header(dead, "dlq_reason"), service
    assert await databases["inspection"].fetchval("SELECT count(*) FROM answers WHERE answer_id = $1",
                                                  forged.answer_id) == 0
    assert await databases["intake"].fetchval("SELECT count(*) FROM appeal_timeline WHERE event_id = $1",
                                              envelope.id) == 0


async def test_a_token_with_any_characters_answers_like_any_wrong_token(own_stack: StackInfo, platform, databases):
    _, _, _ = await registered_and_assigned(own_stack, platform, databases)
    number = await databases["intake"].fetchval("SELECT registration_number FROM appeals ORDER BY registered_at DESC "
                                                "LIMIT 1")
    async with httpx.AsyncClient(base_url=platform["intake"].base_url, timeout=30) as intake:
        replies = [await intake.get(f"/v1/status/{n}", params={"token": t})
                   for n in (number, "OA-2099-99999999") for t in ("ключ-ü", "wrong")]
    assert [r.status_code for r in replies] == [404, 404, 404, 404]
    assert len({r.text.replace(number, "N").replace("OA-2099-99999999", "N") for r in replies}) == 1


def post_routes(service: str) -> list[str]:
    """Every POST path of a running service's app, its parameters filled in."""
    import importlib
    import re

    from appeals_runtime.auth import api_routes

    spec = next(s for s in SERVICES if s.name == service)
    app = importlib.import_module(spec.module.replace("entrypoints.main", "bootstrap")).build_app()
    return [re.sub(r"\{fmt\}", "json", re.sub(r"\{(?!fmt)[^}]+\}", "OA-2026-00000001", r.path))
            for r in api_routes(app.routes) if "POST" in r.methods]


async def test_a_100_mb_body_is_refused_on_every_route_before_it_is_read(platform):
    import asyncio

    for service in ("intake", "inspection"):
        port = int(platform[service].base_url.rsplit(":", 1)[1])
        for path in post_routes(service):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         f"Content-Length: 100000000\r\n\r\n{{".encode())
            await writer.drain()
            reply = await asyncio.wait_for(reader.read(), 30)  # answered at once: nobody waits for 100 MB
            writer.close()
            assert reply.startswith(b"HTTP/1.1 413 "), (service, path, reply[:200])
            assert b"the request body is larger than" in reply, (service, path)


async def test_an_executor_cannot_merge_appeals_the_platform_did_not_link(own_stack: StackInfo, platform, databases):
    stack = own_stack
    (first, executor, _), (second, executor_2, _) = [await registered_and_assigned(stack, platform, databases)
                                                     for _ in range(2)]
    assert executor == executor_2  # the same category and district: the same executor holds both
    for appeal_id in (first, second):
        await eventually(lambda a=appeal_id: databases["inspection"].fetchval(
            "SELECT executor_code FROM appeals WHERE appeal_id = $1 AND status = 'open'", uuid.UUID(a)),
            "inspection to know the appeal")
    async with httpx.AsyncClient(base_url=platform["inspection"].base_url, timeout=30,
                                 headers=stack.bearer("emp-1", "executor", executor_code=executor)) as inspection:
        refused = await inspection.post(f"/v1/appeals/{second}/merge", json={"into": first})
    assert refused.status_code == 403 and "linked as a possible duplicate" in refused.json()["detail"]
    assert await databases["inspection"].fetchval("SELECT status FROM appeals WHERE appeal_id = $1",
                                                  uuid.UUID(second)) == "open"


async def test_a_replayed_or_relabelled_signed_action_is_refused(own_stack: StackInfo, platform, databases):
    stack = own_stack
    appeal_id, executor, _ = await registered_and_assigned(stack, platform, databases)

    def answer() -> ExecutorAnswerSubmitted:
        return ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=appeal_id, executor_code=executor,
                                       employee_id="e-1", text="Done.", language="ru", submitted_at=Clock().now())

    captured = answer()  # signed two hours ago, as if captured then and replayed now
    key, value, headers = stack.signed_action(executor, Envelope.wrap(
        captured, source="/portals/test", subject=appeal_id, time=Clock().now() - timedelta(hours=2)))
    freshened = answer()  # the same trick with its time set to now after signing
    f_key, f_value, f_headers = stack.signed_action(executor, Envelope.wrap(
        freshened, source="/portals/test", subject=appeal_id, time=Clock().now() - timedelta(hours=2)))
    f_headers = [(n, Clock().now().isoformat().encode() if n == "ce_time" else v) for n, v in f_headers]
    await produce(stack.bootstrap_servers, "appeals.executor-actions.v1",
                  [(key, value, headers), (f_key, f_value, f_headers)])
    assert "older than 3600 s" in (await rejection_of(stack, captured.action_id))["reason"]
    assert "does not verify" in (await rejection_of(stack, freshened.action_id))["reason"]
    assert await databases["routing"].fetchval("SELECT status FROM appeals WHERE appeal_id = $1",
                                               uuid.UUID(appeal_id)) == "assigned"


async def test_a_decompression_bomb_is_cleaned_off_the_event_loop_while_probes_answer(own_stack: StackInfo, platform):
    """A 60-megapixel PNG of a few dozen KB (just under the pixel cap, so it is decoded and
    re-encoded): the health probe and another request answer while it is being worked on."""
    import asyncio
    import io

    from PIL import Image

    from appeals_intake.adapters.images import MAX_PIXELS

    side = int(MAX_PIXELS ** 0.5) - 1
    out = io.BytesIO()
    Image.new("L", (side, side)).save(out, "PNG", optimize=True)
    bomb = out.getvalue()
    assert len(bomb) < 200_000 and side * side <= MAX_PIXELS
    async with httpx.AsyncClient(base_url=platform["intake"].base_url, timeout=120) as intake:
        upload = asyncio.ensure_future(intake.post("/v1/attachments", content=bomb, headers={
            "Content-Type": "image/png", **own_stack.bearer("op-bomb", "operator")}))
        answered_meanwhile = 0
        while not upload.done():
            probe = await intake.get("/health/live")
            assert probe.status_code == 200
            if not upload.done():
                answered_meanwhile += 1
            await asyncio.sleep(0.05)
        stored = await upload
    assert stored.status_code == 201, stored.text
    assert answered_meanwhile >= 2, "the probe waited for the picture: the event loop was busy decoding it"


async def test_the_caller_is_refused_before_a_body_is_parsed_and_405_names_every_method(platform):
    async with httpx.AsyncClient(base_url=platform["inspection"].base_url, timeout=30) as inspection:
        refused = await inspection.post(f"/v1/answers/{uuid.uuid4()}/return", content=b"{not json",
                                        headers={"Content-Type": "application/json"})
    assert refused.status_code == 401, refused.text  # not 422: nothing of the body was parsed
    async with httpx.AsyncClient(base_url=platform["intake"].base_url, timeout=30) as intake:
        wrong = await intake.put("/open311/v2/requests.json")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET, POST"


async def test_a_file_nobody_names_is_removed_with_its_bytes_and_counted(own_stack: StackInfo, platform,
                                                                         attachments_dir: Path):
    operator = own_stack.bearer("op-orphan", "operator")
    async with httpx.AsyncClient(base_url=platform["intake"].base_url, timeout=30) as intake:
        uploaded = await intake.post("/v1/attachments", content=b"%PDF-1.7\n% an orphan\n",
                                     headers={"Content-Type": "application/pdf", **operator})
        assert uploaded.status_code == 201, uploaded.text
        attachment_id = uploaded.json()["attachment_id"]
        stored = attachments_dir / "attachments" / attachment_id
        assert stored.exists()
        assert (await intake.get(f"/v1/attachments/{attachment_id}", headers=operator)).status_code == 200

        async def gone():
            r = await intake.get(f"/v1/attachments/{attachment_id}", headers=operator)
            return r.status_code == 404 and not stored.exists()
        await eventually(gone, "the orphan file removed, row and bytes", timeout_s=60)
        metrics = (await intake.get("/metrics", headers=own_stack.bearer("sre-1", "sre"))).text
    removed = [line for line in metrics.splitlines()
               if line.startswith("appeals_intake_orphan_attachments_removed_total ")]
    assert removed and float(removed[0].split()[1]) >= 1
