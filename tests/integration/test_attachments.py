"""Photos on a real S3 endpoint (moto's server): intake stores an uploaded JPEG without its GPS
and device EXIF (read back from the bucket itself), the executor holding the appeal fetches it
through intake, another executor is refused, and an Open311 media_url from an allowed host
becomes an attachment the same way."""

from __future__ import annotations

import io
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from appeals_devstack.ports import free_port
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES
from appeals_devstack.stack import StackInfo
from appeals_devstack.testing import eventually, expected_executor, read_topic

pytestmark = pytest.mark.integration
BUCKET = "appeals-attachments-test"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def photo_with_gps() -> bytes:
    """A JPEG as a phone takes it: GPS position, maker and model in its EXIF."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "PhoneMaker", "Model X-42"
    exif[0x8825] = {1: "N", 2: (43.0, 14.0, 20.0), 3: "E", 4: (76.0, 56.0, 40.0)}
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 120, 200)).save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def has_metadata(data: bytes) -> bool:
    image = Image.open(io.BytesIO(data))
    return bool(image.getexif()) or b"PhoneMaker" in data or b"Model X-42" in data


@pytest.fixture(scope="module")
def s3():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


@pytest.fixture(scope="module")
def media_server():
    """A photo host a civic-tech app uploads to (the city allows it in OPEN311_MEDIA_HOSTS)."""
    photo = photo_with_gps()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path != "/photos/pothole.jpg":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(photo)))
            self.end_headers()
            self.wfile.write(photo)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def services(stack: StackInfo, s3, tmp_path_factory):
    endpoint, _ = s3
    env = {"intake": {"ATTACHMENTS_STORE": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": BUCKET,
                      "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing",
                      "OPEN311_MEDIA_HOSTS": "127.0.0.1", "ATTACHMENT_MAX_BYTES": "200000"}}
    log_dir = tmp_path_factory.mktemp("attachments")
    processes = {s.name: ServiceProcess(s, stack, log_dir, extra_env=env.get(s.name)).start()
                 for s in SERVICES if s.name in ("intake", "routing")}
    for p in processes.values():
        p.wait_ready()
    yield processes
    for p in processes.values():
        p.stop()


async def _assigned(stack: StackInfo, appeal_id: str) -> dict:
    records = await read_topic(stack.bootstrap_servers, "appeals.assigned.v1",
                               until=lambda rs: any(json.loads(r.value)["appeal_id"] == appeal_id for r in rs))
    return next(json.loads(r.value) for r in records if json.loads(r.value)["appeal_id"] == appeal_id)


async def test_a_photo_is_stored_without_its_exif_and_only_its_executor_fetches_it(stack: StackInfo, s3, services):
    _, bucket = s3
    photo = photo_with_gps()
    assert has_metadata(photo)
    async with httpx.AsyncClient(base_url=services["intake"].base_url, timeout=30,
                                 headers=stack.bearer("portal-1", "adapter")) as intake:
        uploaded = await intake.post("/v1/attachments", content=photo, headers={"Content-Type": "image/jpeg"})
        assert uploaded.status_code == 201, uploaded.text
        ref = uploaded.json()
        stored = bucket.get_object(Bucket=BUCKET, Key=f"attachments/{ref['attachment_id']}")["Body"].read()
        assert not has_metadata(stored) and Image.open(io.BytesIO(stored)).size == (120, 80)
        assert ref["size"] == len(stored) and ref["content_type"] == "image/jpeg"

        created = await intake.post("/v1/appeals", json={
            "channel": "portal", "channel_message_id": f"ph-{uuid.uuid4().hex[:8]}", "kind": "complaint",
            "category": "road_repair", "district": "medeu", "language": "ru",
            "text": "Open manhole on the pavement, photo attached.", "attachments": [ref["attachment_id"]],
            "citizen": {"name": "Dana", "email": "dana@example.org"}})
        assert created.status_code == 201, created.text
        again = await intake.post("/v1/appeals", json={**json.loads(created.request.content),
                                                        "channel_message_id": f"ph-{uuid.uuid4().hex[:8]}"})
        assert again.status_code == 422 and "another appeal" in again.text  # a file belongs to one appeal

        assignment = await _assigned(stack, created.json()["appeal_id"])
        executor = assignment["executor_code"]
        assert executor == expected_executor("road_repair", "medeu")
        assert assignment["case"]["attachments"] == [{k: ref[k] for k in ("attachment_id", "content_type", "size",
                                                                             "sha256")}]
        other = "turksib_akimat" if executor != "turksib_akimat" else "medeu_akimat"
        href = f"/v1/attachments/{ref['attachment_id']}"

        async def fetched():  # intake learns the holder from the assignment topic
            r = await intake.get(href, headers=stack.bearer("emp-1", "executor", executor_code=executor))
            return r if r.status_code == 200 else None
        response = await eventually(fetched, "the executor fetching the photo")
        assert response.content == stored and response.headers["content-type"] == "image/jpeg"
        assert response.headers["x-content-type-options"] == "nosniff"
        stranger = await intake.get(href, headers=stack.bearer("emp-2", "executor", executor_code=other))
        assert stranger.status_code == 403
        assert (await intake.get(href, headers=stack.bearer("insp-1", "inspector"))).status_code == 200
        assert (await intake.get(href, headers=stack.bearer("c-1", "citizen"))).status_code == 403

        refused = await intake.post("/v1/attachments", content=b"<html>hi</html>", headers={"Content-Type": "text/html"})
        assert refused.status_code == 415
        lying = await intake.post("/v1/attachments", content=b"%PDF-1.7 not an image", headers={"Content-Type": "image/png"})
        assert lying.status_code == 422
        huge = await intake.post("/v1/attachments", content=b"\xff\xd8\xff" + b"0" * 300_000,
                                 headers={"Content-Type": "image/jpeg"})
        assert huge.status_code == 413
        broken = await intake.post("/v1/attachments", content=b"\xff\xd8\xff" + b"0" * 100,
                                   headers={"Content-Type": "image/jpeg"})
        assert broken.status_code == 422


async def test_an_open311_media_url_becomes_an_attachment(stack: StackInfo, s3, services, media_server):
    _, bucket = s3
    form = {"api_key": stack.open311_api_key, "service_code": "road_repair", "address_string": "Abai avenue 10",
            "first_name": "Arman", "email": "arman@example.org", "description": "Pothole, see the photo.",
            "media_url": f"{media_server}/photos/pothole.jpg"}
    async with httpx.AsyncClient(base_url=services["intake"].base_url + "/open311/v2", timeout=30) as http:
        created = await http.post("/requests.json", data=form)
        assert created.status_code == 201, created.text
        elsewhere = await http.post("/requests.json", data={**form, "media_url": "http://localhost:1/x.jpg"})
        assert elsewhere.status_code == 400 and "media_url" in elsewhere.json()[0]["description"]
        missing = await http.post("/requests.json", data={**form, "media_url": f"{media_server}/nothing.jpg"})
        assert missing.status_code == 400 and "404" in missing.json()[0]["description"]
    number = created.json()[0]["service_request_id"]
    registered = await read_topic(stack.bootstrap_servers, "appeals.registered.v1",
                                  until=lambda rs: any(json.loads(r.value)["registration_number"] == number for r in rs))
    event = next(json.loads(r.value) for r in registered if json.loads(r.value)["registration_number"] == number)
    [ref] = event["attachments"]
    stored = bucket.get_object(Bucket=BUCKET, Key=f"attachments/{ref['attachment_id']}")["Body"].read()
    assert not has_metadata(stored) and ref["content_type"] == "image/jpeg"
