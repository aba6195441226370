
from appeals_runtime.settings import OptionalPath, ServiceSettings


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "a:1,b:2")
    monkeypatch.setenv("KAFKA_ENABLE_IDEMPOTENCE", "false")
    settings = ServiceSettings()
    assert settings.kafka_client_options()["bootstrap_servers"] == ["a:1", "b:2"]
    assert settings.kafka_enable_idempotence is False


def test_empty_means_unset_for_optional_values(monkeypatch, tmp_path):
    class Settings(ServiceSettings):
        some_file: OptionalPath = None

    monkeypatch.setenv("SOME_FILE", "")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "")
    assert Settings().some_file is None and Settings().kafka_sasl_password is None
    monkeypatch.setenv("SOME_FILE", str(tmp_path))
    assert Settings().some_file == tmp_path
