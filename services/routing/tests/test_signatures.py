"""Signed executor actions: the portal's key vouches for the executor the action names."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import ExecutorAnswerSubmitted
from appeals_devstack.portal_keys import PortalKeys
from appeals_routing.adapters.signatures import ExecutorKeys, KeyFileError
from appeals_runtime.clock import Clock


WINDOW = timedelta(hours=1)


def action(executor: str = "medeu_akimat", at: datetime | None = None) -> Envelope:
    event = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.uuid4(), executor_code=executor,
                                    employee_id="md-1", text="Done.", language="ru", submitted_at=Clock().now())
    return Envelope.wrap(event, source="/portals/medeu", subject=str(event.appeal_id), time=at or Clock().now())


def check(keys: ExecutorKeys, executor: str, headers, value: bytes, now: datetime | None = None) -> str | None:
    return keys.problem(executor, dict(headers), value, now=now or Clock().now(), max_age=WINDOW)


@pytest.fixture(scope="module")
def portals(tmp_path_factory):
    portals = PortalKeys(tmp_path_factory.mktemp("portal-keys"))
    return portals, ExecutorKeys.from_file(portals.ensure())


def test_an_action_signed_by_its_executor_verifies(portals):
    portal, keys = portals
    _, value, headers = portal.signed_record("medeu_akimat", action(), "k")
    assert check(keys, "medeu_akimat", headers, value) is None


def test_another_executor_a_changed_value_or_no_signature_is_refused(portals):
    portal, keys = portals
    _, value, headers = portal.signed_record("almaly_akimat", action(), "k")
    assert "does not verify" in check(keys, "medeu_akimat", headers, value)
    _, value, headers = portal.signed_record("medeu_akimat", action(), "k")
    assert "does not verify" in check(keys, "medeu_akimat", headers, value.replace(b"Done.", b"Nope."))
    plain = action()
    assert check(keys, "medeu_akimat", plain.kafka_headers(), plain.kafka_value()) == "the action is not signed"
    assert "no signing key" in check(ExecutorKeys.from_file(None), "medeu_akimat", headers, value)


@pytest.mark.parametrize("header, forged", [
    ("ce_type", b"executor.extension_requested"), ("ce_schemaversion", b"2"),
    ("ce_subject", str(uuid.uuid4()).encode()), ("ce_time", Clock().now().isoformat().encode()),
    ("ce_id", str(uuid.uuid4()).encode()),
])
def test_a_relabelled_envelope_does_not_verify(portals, header, forged):
    portal, keys = portals
    _, value, headers = portal.signed_record("medeu_akimat", action(at=Clock().now() - timedelta(minutes=1)), "k")
    relabelled = [(name, forged if name == header else v) for name, v in headers]
    assert "does not verify" in check(keys, "medeu_akimat", relabelled, value)
    without = [(name, v) for name, v in headers if name != header]
    assert f"no usable {header}" in check(keys, "medeu_akimat", without, value)


def test_a_replayed_action_older_than_the_window_or_from_the_future_is_refused(portals):
    portal, keys = portals
    signed = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    _, value, headers = portal.signed_record("medeu_akimat", action(at=signed), "k")
    assert check(keys, "medeu_akimat", headers, value, now=signed + WINDOW) is None
    assert "older than 3600 s" in check(keys, "medeu_akimat", headers, value, now=signed + WINDOW + timedelta(seconds=1))
    assert "ahead of the platform's clock" in check(keys, "medeu_akimat", headers, value,
                                                    now=signed - timedelta(minutes=10))


def test_a_broken_key_file_stops_the_start(tmp_path):
    bad = tmp_path / "keys.yaml"
    bad.write_text("executors:\n  medeu_akimat:\n    - {kid: k1, public_key: not-a-key}\n", "utf-8")
    with pytest.raises(KeyFileError, match="EXECUTOR_KEYS_FILE"):
        ExecutorKeys.from_file(bad)
