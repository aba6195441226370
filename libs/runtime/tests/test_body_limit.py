"""Request bodies above the limit are refused before the application reads them: a real
uvicorn server on loopback, a raw socket that declares 100 MB and sends almost nothing."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from appeals_devstack.ports import free_port
from appeals_runtime.body_limit import BodyLimit

read: list[int] = []


def app() -> FastAPI:
    api = FastAPI()

    @api.post("/echo")
    async def echo(request: Request) -> dict:
        body = await request.body()
        read.append(len(body))
        return {"bytes": len(body)}

    @api.post("/uploads/file")
    async def upload(request: Request) -> dict:
        return {"bytes": len(await request.body())}

    api.add_middleware(BodyLimit, default=1000, larger={"/uploads": 5000})
    return api


@pytest.fixture
async def server():
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app(), host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield port
    server.should_exit = True
    await task


async def raw_post(port: int, head: str, body: bytes) -> tuple[int, dict]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode() + body)
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), 10)  # the server answers and closes, unread body or not
    writer.close()
    status = int(reply.split(b" ", 2)[1])
    return status, json.loads(reply.split(b"\r\n\r\n", 1)[1] or b"{}")


async def test_a_declared_100_mb_body_is_refused_without_being_read(server):
    read.clear()
    status, body = await raw_post(server, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                          "Content-Length: 100000000\r\n\r\n", b"{")
    assert (status, body) == (413, {"detail": "the request body is larger than 1000 bytes"})
    assert read == [], "the application never read it"


async def test_a_chunked_body_is_cut_off_when_it_passes_the_limit(server):
    read.clear()
    chunks = b"".join(b"64\r\n" + b"x" * 100 + b"\r\n" for _ in range(20)) + b"0\r\n\r\n"
    status, body = await raw_post(server, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                                  chunks)
    assert (status, body) == (413, {"detail": "the request body is larger than 1000 bytes"})
    assert read == []


async def test_bodies_within_the_limit_and_larger_limits_by_prefix(server):
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server}") as client:
        assert (await client.post("/echo", content=b"x" * 1000)).json() == {"bytes": 1000}
        assert (await client.post("/uploads/file", content=b"x" * 4000)).json() == {"bytes": 4000}
        assert (await client.post("/uploads/file", content=b"x" * 5001)).status_code == 413


async def test_a_length_that_is_not_a_number_is_a_400():
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def never(*_):
        raise AssertionError("the application must not run")

    limit = BodyLimit(never, default=10)
    await limit({"type": "http", "path": "/echo", "headers": [(b"content-length", b"ten")]}, None, send)
    assert sent[0]["status"] == 400 and b"not a number" in sent[1]["body"]
