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
    signed_action_max_age_s: float = Field(3600.0, gt=0, description="SIGNED_ACTION_MAX_AGE_S: an executor action "
                                           "signed longer ago than this is refused (a replay); well below "
                                           "INBOX_RETENTION_S, so a replay is caught by one or the other")
    rules_file: OptionalPath = Field(None, description="RULES_FILE: rules loaded on first start (default: bundled)")
