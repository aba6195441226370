"""Intake's settings: the shared ones plus its own."""

from __future__ import annotations

from pydantic import Field

from appeals_runtime.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001
    registration_prefix: str = Field("OA", description="REGISTRATION_PREFIX of registration numbers")
