"""OpenTelemetry set-up from the standard ``OTEL_*`` variables, and trace-context helpers.

``OTEL_TRACES_EXPORTER`` picks the exporter: ``otlp`` (``OTEL_EXPORTER_OTLP_ENDPOINT``,
HTTP/protobuf), ``console``, ``file`` (JSON lines under ``APPEALS_TRACE_DIR``, read back by
``appeals trace``), or ``none`` (the default). ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` describe the resource. ``OTEL_TRACES_SAMPLER`` (and ``_ARG``)
choose which traces are recorded; with no exporter none is (the context still propagates). Database calls become spans through
the asyncpg instrumentation, which records statements but never their parameters. Spans
carry ids, types and codes only: no names, IINs, phones or e-mails.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

log = logging.getLogger(__name__)

_provider: TracerProvider | None = None


def setup_tracing(service_name: str) -> TracerProvider:
    """Install the process's tracer provider (once) and instrument asyncpg."""
    global _provider
    if _provider is not None:
        return _provider
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service_name)})
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if exporter_name in ("none", "") and "OTEL_TRACES_SAMPLER" not in os.environ:
        # Spans that go nowhere are not recorded: a recorded span per event and per statement
        # was a quarter of a consumer's CPU in a surge. The trace context still goes on (ids in
        # every traceparent, "not sampled"), so the appeal's trace holds together downstream.
        provider = TracerProvider(resource=resource, sampler=ParentBased(ALWAYS_OFF))
    else:
        # OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (e.g. parentbased_traceidratio, 0.05)
        # choose; the SDK's default records every trace.
        provider = TracerProvider(resource=resource)
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


_tracers: dict[int, trace.Tracer] = {}


def tracer() -> trace.Tracer:
    """The runtime's tracer, made once per tracer provider (``get_tracer`` is costly: in a
    surge's profile it was 4-7 % of a service's CPU, called once per event)."""
    provider = trace.get_tracer_provider()
    found = _tracers.get(id(provider))
    if found is None:
        found = _tracers[id(provider)] = provider.get_tracer("appeals_runtime")
    return found


def context_from_headers(headers: dict[str, str]) -> otel_context.Context:
    """The trace context carried by W3C ``traceparent``/``tracestate`` headers."""
    return propagate.extract(headers)


def headers_from_context(ctx: otel_context.Context | None = None) -> dict[str, str]:
    """W3C trace headers for ``ctx`` (or the current context); empty when there is no span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=ctx)
    return carrier


def traceparent_of(ctx: otel_context.Context | None) -> str | None:
    """The W3C ``traceparent`` of ``ctx``, to store with an appeal and continue its trace later."""
    return headers_from_context(ctx).get("traceparent")


@contextlib.contextmanager
def within_appeal_trace(traceparent: str | None, name: str, cause: otel_context.Context | None = None,
                        attributes: dict[str, str] | None = None) -> Iterator[otel_context.Context]:
    """A span in the appeal's own trace (its stored ``traceparent``) for work that something
    outside it caused (a portal's action, an inspector's request), linked to that cause. Yields
    the span's context: give it to the outbox so the events it causes stay in the appeal's trace.
    Without a stored traceparent the span simply continues ``cause``."""
    parent = context_from_headers({"traceparent": traceparent}) if traceparent else cause
    links = []
    if traceparent and cause is not None:
        cause_span = trace.get_current_span(cause).get_span_context()
        if cause_span.is_valid:
            links.append(trace.Link(cause_span))
    with tracer().start_as_current_span(name, context=parent, links=links, attributes=attributes or {}) as span:
        yield trace.set_span_in_context(span)
