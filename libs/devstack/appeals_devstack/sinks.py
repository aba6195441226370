"""Local stand-ins for the mail relay and the SMS gateway, for ``make run``: real SMTP and
HTTP servers on loopback that keep what notification sends as files, so a developer can read
the messages citizens, executors and inspectors would get."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

from appeals_devstack.ports import free_port


#: How a sink behaves (fault tests set it): ``ok``; ``refuse`` (a temporary refusal); ``timeout``
#: (no answer within the sender's time-out, nothing accepted); ``close`` (the connection
#: closed, nothing accepted); for SMS also ``lose_answer`` (accepted, but the answer is lost).
SINK_MODES = ("ok", "refuse", "timeout", "close", "lose_answer")


class _MailHandler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        mode = self.sink.mode
        if mode == "refuse":
            return "451 4.3.0 Try again later"
        if mode == "timeout":
            await asyncio.sleep(self.sink.stall_s)
            return "451 4.4.2 Timed out"
        if mode == "close":
            return "421 4.3.2 Service not available, closing transmission channel"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        (self.sink.directory / f"{uuid.uuid4().hex}.eml").write_bytes(envelope.content)
        return "250 Message accepted"


class MailSink:
    """An SMTP server writing each message to ``<directory>/<random>.eml``. :attr:`mode`
    (one of :data:`SINK_MODES` but ``lose_answer``) makes it misbehave before a message is
    accepted, so nothing it refused was delivered."""

    def __init__(self, directory: Path, *, stall_s: float = 15.0) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.mode, self.stall_s = "ok", stall_s
        self._controller = Controller(_MailHandler(self), hostname="127.0.0.1", port=free_port())

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


class SmsSink:
    """An HTTP server taking the SMS gateway's JSON and appending it to ``<path>`` (JSON lines).

    Like a real gateway it deduplicates on the client message id (``id``): a message whose id
    it already has is answered 200 and not sent again; :attr:`duplicates` counts those (and
    ``<path>.duplicates`` lists their ids). ``on_message`` is called with each new message
    before the answer (a test can make something happen while the sender waits). :attr:`mode`
    (:data:`SINK_MODES`) makes it misbehave: refuse (503), time out or close before accepting,
    or accept and lose the answer (the sender tries again: the id makes that harmless)."""

    def __init__(self, path: Path, on_message: Callable[[dict], None] | None = None, *,
                 stall_s: float = 15.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = threading.Lock()
        seen = {json.loads(line).get("id") for line in path.read_text("utf-8").splitlines() if line.strip()} \
            if path.exists() else set()
        sink = self
        self.duplicates = 0
        self.mode, self.stall_s = "ok", stall_s

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 keeps connections open as a real gateway does: a sender that reuses its
            # connections is measured, not a new TCP connection per message.
            protocol_version = "HTTP/1.1"

            def answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                mode = sink.mode
                if mode in ("refuse", "timeout", "close"):
                    if mode == "timeout":
                        time.sleep(sink.stall_s)
                    if mode == "close":
                        self.close_connection = True
                        return
                    self.answer(503)
                    return
                with lock:
                    repeated = body.get("id") in seen
                    if repeated:
                        sink.duplicates += 1
                        with path.with_name(path.name + ".duplicates").open("a", encoding="utf-8") as out:
                            out.write(f"{body.get('id')}\n")
                    else:
                        seen.add(body.get("id"))
                        sink._out.write(json.dumps(body, ensure_ascii=False) + "\n")
                        sink._out.flush()
                if not repeated and on_message is not None:
                    on_message(body)
                if mode == "lose_answer":
                    self.close_connection = True
                    return
                self.answer(200)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # the listen backlog: a burst of new connections is not refused
            daemon_threads = True

        self._out = path.open("a", encoding="utf-8")
        self._server = Server(("127.0.0.1", 0), Handler)
        self.path = path
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/send"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> SmsSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._out.close()
