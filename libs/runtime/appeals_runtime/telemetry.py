"""OpenTelemetry set-up from the standard ``OTEL_*`` variables, and trace-context helpers.

``OTEL_TRACES_EXPORTER`` picks the exporter: ``otlp`` (``OTEL_EXPORTER_OTLP_ENDPOINT``,
HTTP/protobuf), ``console``, ``file`` (JSON lines under ``APPEALS_TRACE_DIR``, read back by
``appeals trace``), or ``none`` (the default). ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES`` describe the resource. ``OTEL_TRACES_SAMPLER`` (and ``_ARG``)
choose which traces are recorded; with no exporter none is (the context still propagates,
each hop a fresh span id in the same trace: :func:`start_span`). Where spans are recorded,
database calls become spans through the asyncpg instrumentation, which records statements
but never their parameters. Spans carry ids, types and codes only: no names, IINs, phones
or e-mails.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

log = logging.getLogger(__name__)

_provider: TracerProvider | None = None
#: False once :func:`setup_tracing` found nowhere to send spans: this process records none.
_recording = True
#: Events carry ``traceparent``/``tracestate`` and nothing else of the context (the outbox has
#: a column for each), so the W3C trace-context propagator alone reads and writes them; the
#: global composite one (baggage too) cost as much again per event.
_TRACE_CONTEXT = TraceContextTextMapPropagator()
_IDS = RandomIdGenerator()


def setup_tracing(service_name: str) -> TracerProvider:
    """Install the process's tracer provider (once) and, when spans are recorded, instrument asyncpg."""
    global _provider, _recording
    if _provider is not None:
        return _provider
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME", service_name)})
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    _recording = not (exporter_name in ("none", "") and "OTEL_TRACES_SAMPLER" not in os.environ)
    if not _recording:
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
    if _recording:  # a span per statement, each dropped unrecorded, is pure cost otherwise
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


def context_from_headers(headers: Mapping[str, str]) -> otel_context.Context:
    """The trace context carried by W3C ``traceparent``/``tracestate`` headers."""
    return _TRACE_CONTEXT.extract(headers)


def headers_from_context(ctx: otel_context.Context | None = None) -> dict[str, str]:
    """W3C trace headers for ``ctx`` (or the current context); empty when there is no span."""
    return headers_of_span(trace.get_current_span(ctx))


def headers_of_span(span: trace.Span) -> dict[str, str]:
    """W3C trace headers naming ``span`` as the parent, as the propagator writes them (written
    here directly: the propagator's context round trip was a tenth of the relay's work per
    record); empty for an invalid span."""
    context = span.get_span_context()
    if not context.is_valid:
        return {}
    headers = {"traceparent": f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"}
    if context.trace_state:
        headers["tracestate"] = context.trace_state.to_header()
    return headers


def start_span(name: str, carrier: Mapping[str, str], *, kind: trace.SpanKind,
               attributes: Callable[[], Attributes]) -> trace.Span:
    """Start (the caller ends it) a span that continues the trace in ``carrier``'s W3C headers.

    In a process that records no spans (no exporter: :func:`setup_tracing`) it is a
    non-recording span with a fresh id in the same trace, the parent's flags kept, which is
    what the SDK would hand out there; made directly, as the SDK's sampling and attribute
    handling for a span it then drops were most of a consumer's tracing cost per event. A
    trace begins here when ``carrier`` has none. ``attributes`` is only called for a span
    that records."""
    if _recording:
        return tracer().start_span(name, context=_TRACE_CONTEXT.extract(carrier), kind=kind,
                                   attributes=attributes())
    upstream = _upstream(carrier)
    if upstream.is_valid:
        return trace.NonRecordingSpan(trace.SpanContext(upstream.trace_id, _IDS.generate_span_id(), False,
                                                        upstream.trace_flags, upstream.trace_state))
    return trace.NonRecordingSpan(trace.SpanContext(_IDS.generate_trace_id(), _IDS.generate_span_id(), False,
                                                    trace.TraceFlags(trace.TraceFlags.DEFAULT)))


#: The ``traceparent`` the platform itself writes: version 00, lower-case hex, nothing around it.
_CANONICAL_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def _upstream(carrier: Mapping[str, str]) -> trace.SpanContext:
    """The remote parent ``carrier`` names (invalid when none). The platform's own form is read
    here directly: a span took 11.6 µs through the propagator (its context objects, the regex
    cache) and takes 2 µs so. Anything else, and any ``tracestate``, the propagator reads."""
    header = carrier.get("traceparent")
    if header is not None and "tracestate" not in carrier:
        match = _CANONICAL_TRACEPARENT.fullmatch(header)
        if match is not None:
            trace_id, span_id = int(match[1], 16), int(match[2], 16)
            if trace_id and span_id:
                return trace.SpanContext(trace_id, span_id, True, trace.TraceFlags(int(match[3], 16)))
            return trace.INVALID_SPAN_CONTEXT
    return trace.get_current_span(_TRACE_CONTEXT.extract(carrier)).get_span_context()


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
