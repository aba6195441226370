"""Intake's settings: the shared ones plus its own."""

from __future__ import annotations

from pydantic import Field

from appeals_runtime.settings import OptionalSecret, ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8001
    registration_prefix: str = Field("OA", description="REGISTRATION_PREFIX of registration numbers")
    status_token_secret: OptionalSecret = Field(None, description="STATUS_TOKEN_SECRET: key of citizens' status "
                                                                 "tokens (required; changing it voids every token)")

    def token_secret(self) -> bytes:
        secret = self.secret("status_token_secret")
        if not secret or len(secret) < 32:
            raise ValueError("STATUS_TOKEN_SECRET must be set to at least 32 characters")
        return secret.encode()
