"""Local stand-ins for the mail relay and the SMS gateway, for ``make run``: real SMTP and
HTTP servers on loopback that keep what notification sends as files, so a developer can read
the messages citizens, executors and inspectors would get."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

from appeals_devstack.ports import free_port


class _MailHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        (self.directory / f"{uuid.uuid4().hex}.eml").write_bytes(envelope.content)
        return "250 Message accepted"


class MailSink:
    """An SMTP server writing each message to ``<directory>/<random>.eml``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._controller = Controller(_MailHandler(directory), hostname="127.0.0.1", port=free_port())

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
    before the answer (a test can make something happen while the sender waits)."""

    def __init__(self, path: Path, on_message: Callable[[dict], None] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = threading.Lock()
        seen = {json.loads(line).get("id") for line in path.read_text("utf-8").splitlines() if line.strip()} \
            if path.exists() else set()
        sink = self
        self.duplicates = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with lock:
                    repeated = body.get("id") in seen
                    if repeated:
                        sink.duplicates += 1
                        with path.with_name(path.name + ".duplicates").open("a", encoding="utf-8") as out:
                            out.write(f"{body.get('id')}\n")
                    else:
                        seen.add(body.get("id"))
                        with path.open("a", encoding="utf-8") as out:
                            out.write(json.dumps(body, ensure_ascii=False) + "\n")
                if not repeated and on_message is not None:
                    on_message(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.path = path
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/send"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> SmsSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
