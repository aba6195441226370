"""docker-compose.yml parses and fits the Compose specification (the JSON Schema that
Debian's docker-compose 1.29.2 ships, kept in deploy/compose-spec.json), and wires what the
platform needs: Apache Kafka in KRaft mode, one PostgreSQL per service, Jaeger, the five
services built from this repository with health checks and start order."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from appeals_devstack.services import SERVICES

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
SPEC = json.loads((ROOT / "deploy" / "compose-spec.json").read_text("utf-8"))


def test_the_file_fits_the_compose_specification():
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}"
              for e in jsonschema.Draft201909Validator(SPEC).iter_errors(COMPOSE)]
    assert errors == []


def test_every_dependency_exists_and_waits_for_health():
    services = COMPOSE["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no health check"


def test_the_platform_is_all_there():
    services = COMPOSE["services"]
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:") and "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    assert services["jaeger"]["image"].startswith("jaegertracing/")
    for service in SERVICES:
        app = services[service.name]
        assert app["build"] == "." and "healthcheck" in app
        assert app["command"][-1] == service.module
        env = app["environment"]
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"
        database = env["DATABASE_URL"].split("@")[1].split(":")[0]
        assert database == f"postgres-{service.name}" and services[database]["image"].startswith("postgres:")
        assert app["depends_on"]["topics"]["condition"] == "service_completed_successfully"
    assert len({s["environment"]["DATABASE_URL"] for n, s in services.items() if n in {x.name for x in SERVICES}}) == 5


def _compose_client() -> list[str] | None:
    """``docker-compose`` (Debian's package) or ``docker compose`` (the plugin), if either is here."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_the_compose_client_accepts_it_when_there_is_one():
    client = _compose_client()
    if client is None:
        pytest.skip("no compose client on this machine; the schema test above stands in for it")
    done = subprocess.run([*client, "config", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
