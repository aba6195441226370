"""The citizen's portal's settings: the shared ones (logging, tracing, tokens, HTTP) plus its own.
It has no database and no broker: DATABASE_URL and the KAFKA_* settings are not read."""

from __future__ import annotations

from pydantic import Field

from appeals_runtime.settings import OptionalSecret, ServiceSettings


class PortalSettings(ServiceSettings):
    service_name: str = "portal"
    http_port: int = 8006
    api_docs: bool = Field(False, description="API_DOCS: serve /docs and /openapi.json")
    portal_url: str = Field("http://127.0.0.1:8006", description="PORTAL_URL: where citizens' browsers reach the "
                            "portal; links in messages (TRACK_URL) and the sign-in redirect URI "
                            "(PORTAL_URL/callback, registered at the IdP) start with it")
    portal_secret_key: OptionalSecret = Field(None, description="PORTAL_SECRET_KEY (required): seals the portal's "
                                              "session cookie and signs its CSRF tokens; the same for every replica, "
                                              "at least 32 characters")
    portal_client_id: str = Field("citizen-portal", description="PORTAL_CLIENT_ID: the portal's public client at the "
                                  "IdP, for citizens' sign-in (authorization code with PKCE, no secret)")
    portal_service_client_id: str = Field("citizen-portal-service", description="PORTAL_SERVICE_CLIENT_ID: the "
                                          "portal's confidential client at the IdP, whose own token (the client "
                                          "credentials grant, role adapter) submits appeals of citizens who did not "
                                          "sign in")
    portal_service_client_secret: OptionalSecret = Field(None, description="PORTAL_SERVICE_CLIENT_SECRET (required): "
                                                         "that client's secret")
    intake_url: str = Field("http://127.0.0.1:8001", description="INTAKE_URL: intake's HTTP API (submissions, "
                            "photos, status and verdicts)")
    inspection_url: str = Field("http://127.0.0.1:8005", description="INSPECTION_URL: inspection's HTTP API (the "
                                "week's public figures)")
    default_language: str = Field("ru", description="DEFAULT_LANGUAGE: the pages' language when the browser names "
                                  "none of kk, ru, en")
    session_hours: float = Field(8.0, gt=0, le=24, description="SESSION_HOURS: a citizen's sign-in lasts this long "
                                 "at most, and never past the IdP's access token")
    max_photos: int = Field(3, ge=0, le=10, description="MAX_PHOTOS: photos one submission may carry")
    photo_max_bytes: int = Field(10 * 1024 * 1024, ge=1, description="PHOTO_MAX_BYTES: the largest photo taken "
                                 "(intake's ATTACHMENT_MAX_BYTES should be at least this)")
    rate_limit_storage: str = Field("memory://", description="RATE_LIMIT_STORAGE: where the rate limits count, as a "
                                    "`limits` storage URI (memory:// counts per replica; redis://host:6379 shares "
                                    "the counts between replicas)")
    submit_limit_per_address: str = Field("10/hour", description="SUBMIT_LIMIT_PER_ADDRESS: submissions from one "
                                          "client address (a `limits` rate, e.g. 10/hour)")
    submit_limit_per_contact: str = Field("5/day", description="SUBMIT_LIMIT_PER_CONTACT: submissions naming one phone "
                                          "or e-mail address")
    lookup_limit_per_address: str = Field("120/minute", description="LOOKUP_LIMIT_PER_ADDRESS: status pages and "
                                          "verdicts from one client address (slows down guessing tokens)")
