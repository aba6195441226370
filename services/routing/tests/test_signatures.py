"""Signed executor actions: the portal's key vouches for the executor the action names."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import ExecutorAnswerSubmitted
from appeals_devstack.portal_keys import PortalKeys
from appeals_routing.adapters.signatures import ExecutorKeys, KeyFileError


def action(executor: str = "medeu_akimat") -> Envelope:
    event = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.uuid4(), executor_code=executor,
                                    employee_id="md-1", text="Done.", language="ru", submitted_at=datetime.now(UTC))
    return Envelope.wrap(event, source="/portals/medeu", subject=str(event.appeal_id))


@pytest.fixture(scope="module")
def portals(tmp_path_factory):
    portals = PortalKeys(tmp_path_factory.mktemp("portal-keys"))
    return portals, ExecutorKeys.from_file(portals.ensure())


def test_an_action_signed_by_its_executor_verifies(portals):
    portal, keys = portals
    _, value, headers = portal.signed_record("medeu_akimat", action(), "k")
    assert keys.problem("medeu_akimat", dict(headers), value) is None


def test_another_executor_a_changed_value_or_no_signature_is_refused(portals):
    portal, keys = portals
    _, value, headers = portal.signed_record("almaly_akimat", action(), "k")
    assert "does not verify" in keys.problem("medeu_akimat", dict(headers), value)
    _, value, headers = portal.signed_record("medeu_akimat", action(), "k")
    assert "does not verify" in keys.problem("medeu_akimat", dict(headers), value.replace(b"Done.", b"Nope."))
    plain = action()
    assert keys.problem("medeu_akimat", dict(plain.kafka_headers()), plain.kafka_value()) == "the action is not signed"
    assert "no signing key" in ExecutorKeys.from_file(None).problem("medeu_akimat", dict(headers), value)


def test_a_broken_key_file_stops_the_start(tmp_path):
    bad = tmp_path / "keys.yaml"
    bad.write_text("executors:\n  medeu_akimat:\n    - {kid: k1, public_key: not-a-key}\n", "utf-8")
    with pytest.raises(KeyFileError, match="EXECUTOR_KEYS_FILE"):
        ExecutorKeys.from_file(bad)
