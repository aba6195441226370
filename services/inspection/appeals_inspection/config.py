"""Inspection's settings: the shared ones plus its own."""

from __future__ import annotations

from pydantic import Field

from appeals_runtime.settings import CommaList, ServiceSettings


class InspectionSettings(ServiceSettings):
    service_name: str = "inspection"
    http_port: int = 8005
    return_reasons: CommaList = Field([], description="RETURN_REASONS: comma-separated codes offered to inspectors "
                                                "(default: every reason of the reference data)")
    report_language: str = Field("ru", description="REPORT_LANGUAGE: names in the HTML and CSV report (kk, ru, en)")
    report_overdue_limit: int = Field(10, description="REPORT_OVERDUE_LIMIT: longest overdue appeals listed")
