"""Inspection's composition root."""

from __future__ import annotations

from fastapi import FastAPI

from appeals_contracts.reference import load_reference
from appeals_inspection.adapters import metrics
from appeals_inspection.adapters.unit_of_work import PostgresUnitOfWork
from appeals_inspection.config import InspectionSettings
from appeals_runtime.oidc import OidcClient
from appeals_inspection.domain.console import LANGUAGES
from appeals_inspection.entrypoints import console, console_answers, console_pages, console_sign_in, consumers
from appeals_inspection.entrypoints.console import ConsoleSettings
from appeals_inspection.entrypoints.http import InspectionContext, router
from appeals_runtime.service import ServiceSpec, create_app


def build_app(settings: InspectionSettings | None = None) -> FastAPI:
    settings = settings or InspectionSettings()
    reference = load_reference()
    known = reference.return_reasons.codes
    chosen = frozenset(settings.return_reasons) or known
    if not chosen <= known:
        raise ValueError(f"RETURN_REASONS names unknown codes: {', '.join(sorted(chosen - known))}")
    language = settings.report_language

    def tables(lang: str) -> dict[str, dict[str, str]]:
        return {table: {code: entry.names[lang] for code, entry in getattr(reference, attribute).entries.items()}
                for table, attribute in (("executors", "executors"), ("categories", "categories"),
                                         ("channels", "channels"), ("kinds", "appeal_kinds"),
                                         ("districts", "districts"), ("return_reasons", "return_reasons"))}

    by_language = {lang: tables(lang) for lang in LANGUAGES}
    context = InspectionContext(return_reasons=chosen, names_by_language=by_language,
                                overdue_limit=settings.report_overdue_limit, report_language=language)
    app = create_app(ServiceSpec(
        title="Inspection",
        description="Inspectors review every answer, see escalations and scorecards, and publish the weekly report.",
        settings=settings,
        migrations_package="appeals_inspection.migrations",
        unit_of_work=PostgresUnitOfWork,
        publishes=("appeals.inspections.v1",),
        sample=metrics.sample,
        subscriptions=consumers.SUBSCRIPTIONS,
        # the console: its sign-in and session, its pages, the prepared answers' page
        routers=[router, console_sign_in.router, console_pages.router, console_answers.router],
        exception_handlers=console.EXCEPTION_HANDLERS,
        state={"inspection": context, "console": ConsoleSettings(
            oidc=OidcClient(issuer=settings.oidc_issuer, client_id=settings.console_client_id,
                            redirect_uri=f"{settings.console_url.rstrip('/')}/console/callback"),
            session_hours=settings.console_session_hours, intake_url=settings.intake_url,
            default_language=language)},
    ))
    return app
