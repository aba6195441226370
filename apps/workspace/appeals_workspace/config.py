"""The executors' workspace's settings: the shared ones (logging, tracing, tokens, HTTP, Kafka)
plus its own. It has no database: DATABASE_URL is not read. It publishes executor actions to
Kafka under its own principal, signed with each organisation's key."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from appeals_runtime.settings import OptionalSecret, ServiceSettings


class WorkspaceSettings(ServiceSettings):
    service_name: str = "workspace"
    http_port: int = 8007
    api_docs: bool = Field(False, description="API_DOCS: serve /docs and /openapi.json")
    workspace_url: str = Field("http://127.0.0.1:8007", description="WORKSPACE_URL: where employees' browsers reach "
                               "the workspace; the sign-in redirect URI (WORKSPACE_URL/callback, registered at the "
                               "IdP) starts with it")
    workspace_secret_key: OptionalSecret = Field(None, description="WORKSPACE_SECRET_KEY (required): seals the "
                                                 "session cookie and signs the CSRF tokens; the same for every "
                                                 "replica, at least 32 characters")
    workspace_client_id: str = Field("executor-workspace", description="WORKSPACE_CLIENT_ID: the workspace's public "
                                     "client at the IdP (authorization code with PKCE, no secret)")
    workspace_signing_keys_dir: Path | None = Field(None, description="WORKSPACE_SIGNING_KEYS_DIR (required): one "
                                                    "Ed25519 private key per executor organisation served, "
                                                    "`<executor_code>.pem` (PKCS#8), whose public half routing "
                                                    "holds in EXECUTOR_KEYS_FILE under the id `<executor_code>-1` "
                                                    "(or the id in `<executor_code>.kid` beside it)")
    routing_url: str = Field("http://127.0.0.1:8002", description="ROUTING_URL: routing's HTTP API (the queue, the "
                             "case, taking and giving appeals, what became of an action)")
    intake_url: str = Field("http://127.0.0.1:8001", description="INTAKE_URL: intake's HTTP API (photos)")
    inspection_url: str = Field("http://127.0.0.1:8005", description="INSPECTION_URL: inspection's HTTP API "
                                "(merging a linked duplicate)")
    default_language: str = Field("ru", description="DEFAULT_LANGUAGE: the pages' language when the browser names "
                                  "none of kk, ru, en")
    session_hours: float = Field(10.0, gt=0, le=24, description="SESSION_HOURS: an employee's sign-in lasts this "
                                 "long at most, and never past the IdP's access token")
    page_size: int = Field(25, ge=5, le=200, description="PAGE_SIZE: appeals per page of the queue")
    max_photos: int = Field(5, ge=0, le=10, description="MAX_PHOTOS: photos of the completed work one answer may "
                            "carry")
    photo_max_bytes: int = Field(10 * 1024 * 1024, ge=1, description="PHOTO_MAX_BYTES: the largest photo taken "
                                 "(intake's ATTACHMENT_MAX_BYTES should be at least this)")
    action_wait_s: float = Field(5.0, ge=0, le=30, description="ACTION_WAIT_S: how long an action's page waits for "
                                 "routing's decision before it says the action is being processed")
