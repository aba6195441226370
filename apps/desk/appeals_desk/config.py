"""The operators' desk's settings: the shared ones (logging, tracing, tokens, HTTP) plus its own.
It has no database and no Kafka client: every registration goes to intake's HTTP API with the
signed-in operator's own token, so intake knows who took it."""

from __future__ import annotations

from pydantic import Field

from appeals_runtime.settings import OptionalSecret, ServiceSettings


class DeskSettings(ServiceSettings):
    service_name: str = "desk"
    http_port: int = 8008
    api_docs: bool = Field(False, description="API_DOCS: serve /docs and /openapi.json")
    desk_url: str = Field("http://127.0.0.1:8008", description="DESK_URL: where operators' browsers reach the desk; "
                          "the sign-in redirect URI (DESK_URL/callback, registered at the IdP) starts with it")
    desk_secret_key: OptionalSecret = Field(None, description="DESK_SECRET_KEY (required): seals the session cookie "
                                            "and signs the CSRF tokens; the same for every replica, at least 32 "
                                            "characters")
    desk_client_id: str = Field("operator-desk", description="DESK_CLIENT_ID: the desk's public client at the IdP "
                                "(authorization code with PKCE, no secret)")
    intake_url: str = Field("http://127.0.0.1:8001", description="INTAKE_URL: intake's HTTP API (checking and "
                            "registering, a caller's earlier appeals, an appeal's status)")
    default_language: str = Field("ru", description="DEFAULT_LANGUAGE: the pages' language when the browser names "
                                  "none of kk, ru, en")
    session_hours: float = Field(12.0, gt=0, le=24, description="SESSION_HOURS: an operator's sign-in lasts this "
                                 "long at most (a shift), and never past the IdP's access token")
    confirm_wait_s: float = Field(5.0, ge=0, le=30, description="CONFIRM_WAIT_S: how long the confirmation waits for "
                                  "the executor and the due date before it says they are still being set")
