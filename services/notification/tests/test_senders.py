"""The SMTP and SMS adapters against real local servers: what counts as delivered, what is
retried, what is final, and that reasons never carry the address."""

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller

from appeals_devstack.ports import free_port
from appeals_notification.adapters.senders import SmsGatewaySender, SmtpSender
from appeals_notification.domain.outgoing import DeliveryError, Outgoing


def message(address: str | None) -> Outgoing:
    return Outgoing(uuid4(), uuid4(), "citizen.registered", address, "kk", "Тіркелді", "Мәтін", False)


class Replies:
    def __init__(self, rcpt: str) -> None:
        self.rcpt, self.received = rcpt, []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.rcpt.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(envelope.content)
        return "250 OK"


@pytest.mark.parametrize(("reply", "permanent"), [("451 4.3.0 later", False), ("550 5.1.1 no such user", True)])
async def test_smtp_refusals_are_temporary_or_final_by_their_code(reply, permanent):
    controller = Controller(Replies(reply), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        sender = SmtpSender(host="127.0.0.1", port=controller.port, sender="noreply@x.example")
        with pytest.raises(DeliveryError) as caught:
            await sender.send(message("someone@example.org"))
        assert caught.value.permanent is permanent
        assert reply[:3] in caught.value.reason and "someone" not in caught.value.reason
    finally:
        controller.stop()


async def test_smtp_delivers_with_the_language_and_a_stable_message_id():
    replies = Replies("250 OK")
    controller = Controller(replies, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        out = message("someone@example.org")
        await SmtpSender(host="127.0.0.1", port=controller.port, sender="noreply@x.example").send(out)
        raw = replies.received[0].decode()
        assert f"<{out.notification_id}@x.example>" in raw and "Content-Language: kk" in raw
    finally:
        controller.stop()


async def test_smtp_down_is_temporary():
    with pytest.raises(DeliveryError) as caught:
        await SmtpSender(host="127.0.0.1", port=free_port(), sender="n@x", timeout_s=2).send(message("a@b.c"))
    assert caught.value.permanent is False


@pytest.fixture
def gateway():
    state = {"status": 200, "seen": [], "drop_after_answer": False}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802
            state["seen"].append((self.headers.get("Authorization"),
                                  json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(state["status"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.close_connection = state["drop_after_answer"]

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms", state
    server.shutdown()


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (429, False), (400, True), (401, True)])
async def test_sms_gateway_statuses(gateway, status, permanent):
    url, state = gateway
    state["status"] = status
    sender = SmsGatewaySender(url=url, token="t")
    with pytest.raises(DeliveryError) as caught:
        await sender.send(message("+77011234567"))
    await sender.close()
    assert caught.value.permanent is permanent and "+7701" not in caught.value.reason


async def test_sms_gateway_gets_the_token_and_the_text(gateway):
    url, state = gateway
    out = message("+77011234567")
    sender = SmsGatewaySender(url=url, token="secret")
    await sender.send(out)
    await sender.close()
    auth, body = state["seen"][0]
    assert auth == "Bearer secret" and body == {"id": str(out.notification_id), "to": "+77011234567",
                                                "text": "Тіркелді\nМәтін"}


async def test_a_reused_smtp_session_the_server_dropped_is_replaced_not_reported_as_an_outage():
    replies = Replies("250 OK")
    port = free_port()
    controller = Controller(replies, hostname="127.0.0.1", port=port)
    controller.start()
    sender = SmtpSender(host="127.0.0.1", port=port, sender="noreply@x.example")
    try:
        await sender.send(message("one@example.org"))
        controller.stop()  # the server goes away and comes back: the kept session is dead
        controller = Controller(replies, hostname="127.0.0.1", port=port)
        controller.start()
        await sender.send(message("two@example.org"))
        await sender.send(message("three@example.org"))
        assert len(replies.received) == 3
    finally:
        await sender.close()
        controller.stop()


async def test_smtp_messages_share_sessions():
    sessions = []

    class Counting(Replies):
        async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
            sessions.append(hostname)
            session.host_name = hostname  # a hook of its own must say the client greeted
            return responses

    replies = Counting("250 OK")
    controller = Controller(replies, hostname="127.0.0.1", port=free_port())
    controller.start()
    sender = SmtpSender(host="127.0.0.1", port=controller.port, sender="noreply@x.example", connections=2)
    try:
        await asyncio.gather(*(sender.send(message(f"p{i}@example.org")) for i in range(20)))
        assert len(replies.received) == 20 and 1 <= len(sessions) <= 2
    finally:
        await sender.close()
        controller.stop()


async def test_an_sms_keep_alive_connection_the_gateway_closed_is_retried_at_once(gateway):
    url, state = gateway
    state["drop_after_answer"] = True  # answers as if keeping the connection, then closes it
    sender = SmsGatewaySender(url=url, token="t")
    try:
        for _ in range(3):
            await sender.send(message("+77011234567"))
        assert len(state["seen"]) == 3
    finally:
        await sender.close()
