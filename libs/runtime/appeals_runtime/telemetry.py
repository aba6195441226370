"""OpenTelemetry set-up from the standard ``OTEL_*`` variables, and trace-context helpers.

``OTEL_TRACES_EXPORTER`` picks the exporter: ``otlp`` (``OTEL_EXPORTER_OTLP_ENDPOINT``,
HTTP/protobuf), ``console``, ``file`` (JSON lines under ``APPEALS_TRACE_DIR``, read back by
``appeals trace``), or ``none`` (the default). ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` describe the resource. Database calls become spans through
the asyncpg instrumentation, which records statements but never their parameters. Spans
carry ids, types and codes only: no names, IINs, phones or e-mails.
"""

from __future__ import annotations

import logging
import os

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

log = logging.getLogger(__name__)

_provider: TracerProvider | None = None


def setup_tracing(service_name: str) -> TracerProvider:
    """Install the process's tracer provider (once) and instrument asyncpg."""
    global _provider
    if _provider is not None:
        return _provider
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service_name)})
    provider = TracerProvider(resource=resource)
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if exporter_name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter_name == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter_name == "file":
        from pathlib import Path

        from appeals_runtime.trace_files import JsonLinesSpanExporter

        directory = Path(os.environ.get("APPEALS_TRACE_DIR", ".state/traces"))
        provider.add_span_processor(BatchSpanProcessor(JsonLinesSpanExporter(directory, service_name)))
    elif exporter_name not in ("none", ""):
        log.warning("unknown OTEL_TRACES_EXPORTER %r; tracing to nowhere", exporter_name)
    trace.set_tracer_provider(provider)
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AsyncPGInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    return provider


def shutdown_tracing() -> None:
    """Flush and stop the exporter."""
    if _provider is not None:
        _provider.shutdown()


def tracer() -> trace.Tracer:
    return trace.get_tracer("appeals_runtime")


def context_from_headers(headers: dict[str, str]) -> otel_context.Context:
    """The trace context carried by W3C ``traceparent``/``tracestate`` headers."""
    return propagate.extract(headers)


def headers_from_context(ctx: otel_context.Context | None = None) -> dict[str, str]:
    """W3C trace headers for ``ctx`` (or the current context); empty when there is no span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=ctx)
    return carrier
