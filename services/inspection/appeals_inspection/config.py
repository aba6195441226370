"""Inspection's settings: the shared ones plus its own."""

from __future__ import annotations

from pydantic import Field

from appeals_runtime.settings import CommaList, OptionalName, ServiceSettings


class InspectionSettings(ServiceSettings):
    service_name: str = "inspection"
    http_port: int = 8005
    return_reasons: CommaList = Field([], description="RETURN_REASONS: comma-separated codes offered to inspectors "
                                                "(default: every reason of the reference data)")
    report_language: str = Field("ru", description="REPORT_LANGUAGE: names in the HTML and CSV report (kk, ru, en)")
    report_overdue_limit: int = Field(10, description="REPORT_OVERDUE_LIMIT: longest overdue appeals listed")
    console_url: str = Field("http://127.0.0.1:8005", description="CONSOLE_URL: where browsers reach this service; "
                             "the console's sign-in redirect URI is CONSOLE_URL/console/callback (register it at the IdP)")
    console_client_id: str = Field("staff-console", description="CONSOLE_CLIENT_ID: the console's public client "
                                   "at the IdP (authorization code with PKCE, no secret)")
    console_session_hours: float = Field(8.0, gt=0, le=24, description="CONSOLE_SESSION_HOURS: a console session "
                                         "lasts this long at most (renewed meanwhile with the IdP's refresh token; without "
                                         "one, never past its access token)")
    intake_url: OptionalName = Field(None, description="INTAKE_URL: intake's HTTP API, from which the console fetches "
                                     "an appeal's attachments with the inspector's token (unset: listed, not linked)")
