"""The deadline tracker's settings: the shared ones plus its own."""

from __future__ import annotations

from pydantic import Field

from appeals_runtime.settings import OptionalName, OptionalPath, ServiceSettings


class DeadlineSettings(ServiceSettings):
    service_name: str = "deadline-tracker"
    http_port: int = 8003
    deadline_regime: OptionalName = Field(None, description="DEADLINE_REGIME: seed or appc_2021 (default: the policy file's)")
    policies_file: OptionalPath = Field(None, description="POLICIES_FILE (default: bundled)")
    calendar_file: OptionalPath = Field(None, description="CALENDAR_FILE (default: bundled)")
    sweep_interval_s: float = Field(1.0, description="SWEEP_INTERVAL_S: how often due timers are looked for")
    sweep_batch_size: int = Field(500, description="SWEEP_BATCH_SIZE: timers claimed per transaction")
