"""docs/configuration.md is the reference of every setting: checked against the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from appeals_devstack.services import EVERYTHING, SERVICES

DOC = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text("utf-8")
SECRETS = {"KAFKA_SASL_PASSWORD", "SMTP_PASSWORD", "SMS_GATEWAY_TOKEN"}


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", DOC, re.S | re.M)
    assert match, f"docs/configuration.md has no section '## {title}'"
    return match.group(1)


@pytest.mark.parametrize("service", EVERYTHING, ids=lambda s: s.name)
def test_every_setting_of_the_service_is_documented(service):
    settings = service.settings_class()
    shared = _section("Every service")
    own = _section(service.name.replace("-", " ").capitalize())
    missing = [name.upper() for name in settings.model_fields
               if f"`{name.upper()}`" not in shared and f"`{name.upper()}`" not in own]
    assert missing == []


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_secrets_never_show_in_a_repr(service, monkeypatch):
    for name in SECRETS:
        monkeypatch.setenv(name, "hunter2-secret")
    settings = service.settings_class()()
    fields = {n.upper() for n in type(settings).model_fields}
    assert fields & SECRETS, "every service has at least the Kafka password"
    for name in fields & SECRETS:
        value = getattr(settings, name.lower())
        assert isinstance(value, SecretStr) and settings.secret(name.lower()) == "hunter2-secret"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())
