"""Routing's settings: the shared ones plus its own."""

from __future__ import annotations

from pydantic import Field

from appeals_runtime.settings import OptionalPath, ServiceSettings


class RoutingSettings(ServiceSettings):
    service_name: str = "routing"
    http_port: int = 8002
    executors_file: OptionalPath = Field(None, description="EXECUTORS_FILE: directory loaded on first start (default: bundled)")
    executor_keys_file: OptionalPath = Field(None, description="EXECUTOR_KEYS_FILE: executors' public keys for "
                                                               "signed actions (none: every action is refused)")
    rules_file: OptionalPath = Field(None, description="RULES_FILE: rules loaded on first start (default: bundled)")
