from pathlib import Path

from appeals_runtime.settings import ServiceSettings

DOC = (Path(__file__).parents[3] / "docs" / "configuration.md").read_text("utf-8")


def test_every_setting_is_documented():
    assert [n.upper() for n in ServiceSettings.model_fields if f"`{n.upper()}`" not in DOC] == []


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "a:1,b:2")
    monkeypatch.setenv("KAFKA_ENABLE_IDEMPOTENCE", "false")
    settings = ServiceSettings()
    assert settings.kafka_client_options()["bootstrap_servers"] == ["a:1", "b:2"]
    assert settings.kafka_enable_idempotence is False
