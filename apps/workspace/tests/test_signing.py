"""The workspace signs each action with the key of the employee's organisation, as routing
verifies it: what routing checks, with routing's own code."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from appeals_contracts.envelope import Envelope
from appeals_contracts.events import ExecutorAnswerSubmitted
from appeals_devstack.portal_keys import PortalKeys
from appeals_routing.adapters.signatures import ExecutorKeys
from appeals_workspace.adapters.actions import SigningKeys
from appeals_runtime.clock import Clock


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    public = ExecutorKeys.from_file(PortalKeys(folder).ensure())
    return SigningKeys(folder), public


def envelope(executor: str) -> Envelope:
    event = ExecutorAnswerSubmitted(action_id=uuid.uuid4(), appeal_id=uuid.uuid4(), executor_code=executor,
                                    employee_id="emp-1", text="Done.", language="ru", submitted_at=Clock().now())
    return Envelope.wrap(event, source="workspace", subject=str(event.appeal_id), event_id=event.action_id,
                         time=Clock().now())


def test_an_action_signed_for_an_organisation_verifies_as_that_organisations(keys):
    signing, public = keys
    assert signing.serves("medeu_akimat") and not signing.serves("nobody") and not signing.serves(None)
    value, headers = signing.sign("medeu_akimat", envelope("medeu_akimat"))
    now = Clock().now()
    assert public.problem("medeu_akimat", dict(headers), value, now=now, max_age=timedelta(hours=1)) is None
    assert public.problem("almaly_akimat", dict(headers), value, now=now, max_age=timedelta(hours=1))
    assert public.problem("medeu_akimat", dict(headers), value.replace(b"Done.", b"Nope."), now=now,
                          max_age=timedelta(hours=1))


def test_a_folder_without_keys_or_with_a_foreign_key_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="no executor's signing key"):
        SigningKeys(tmp_path)
    (tmp_path / "medeu_akimat.pem").write_text("not a key")
    with pytest.raises(ValueError):
        SigningKeys(tmp_path)
