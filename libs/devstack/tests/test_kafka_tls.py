"""The trial CA and broker certificate that compose's Kafka serves: a real TLS handshake with
the services' trust settings (the CA, host name checked) succeeds for ``kafka`` only."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from appeals_devstack.kafka_tls import write_broker_tls


def _serve_once(pem: str) -> tuple[int, threading.Thread]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)  # the broker's PEM keystore: PKCS#8 key and chain in one file
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.sendall(b"ok")
            except ssl.SSLError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


@pytest.mark.parametrize(("host", "trusted"), [("kafka", True), ("kafka.evil.example", False)])
def test_clients_trusting_the_ca_reach_kafka_and_only_kafka(tmp_path, host, trusted):
    directory = write_broker_tls(tmp_path / "kafka-tls")
    assert "ScramLoginModule required" in (directory / "kafka_server_jaas.conf").read_text()
    port, thread = _serve_once(str(directory / "kafka.pem"))
    client = ssl.create_default_context(cafile=str(directory / "ca.crt"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        if trusted:
            with client.wrap_socket(raw, server_hostname=host) as tls:
                assert tls.recv(2) == b"ok"
        else:
            with pytest.raises(ssl.SSLCertVerificationError):
                client.wrap_socket(raw, server_hostname=host)
    thread.join(10)


def test_made_once(tmp_path):
    first = (write_broker_tls(tmp_path) / "ca.crt").read_bytes()
    assert (write_broker_tls(tmp_path) / "ca.crt").read_bytes() == first
    assert (tmp_path / "kafka.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
