"""How a span continues the trace an event carries, with and without a place to send spans."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

from appeals_runtime import telemetry
from appeals_runtime.telemetry import context_from_headers, headers_from_context, start_span

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def _no_attributes() -> dict[str, str]:
    raise AssertionError("a span that is not recorded needs no attributes")


@pytest.fixture
def not_recording(monkeypatch):
    monkeypatch.setattr(telemetry, "_recording", False)


@pytest.mark.parametrize("flags", ["00", "01"])
def test_a_process_that_records_nothing_continues_the_trace_with_a_fresh_span(not_recording, flags):
    carrier = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-{flags}", "tracestate": "city=almaty"}
    span = start_span("appeals.registered.v1 process", carrier, kind=trace.SpanKind.CONSUMER,
                      attributes=_no_attributes)
    assert not span.is_recording()
    sent = headers_from_context(trace.set_span_in_context(span))
    version, trace_id, span_id, sent_flags = sent["traceparent"].split("-")
    assert (version, trace_id, sent_flags) == ("00", TRACE_ID, flags)
    assert span_id not in (PARENT_ID, "0" * 16)
    assert sent["tracestate"] == "city=almaty"


@pytest.mark.parametrize("carrier", [{}, {"traceparent": "garbage"}, {"traceparent": f"00-{'0' * 32}-{PARENT_ID}-01"}])
def test_without_a_valid_parent_a_trace_begins_unsampled(not_recording, carrier):
    span = start_span("x publish", carrier, kind=trace.SpanKind.PRODUCER, attributes=_no_attributes)
    context = span.get_span_context()
    assert context.is_valid and not context.trace_flags.sampled and not span.is_recording()


@given(st.integers(1, 2**128 - 1), st.integers(1, 2**64 - 1), st.booleans())
def test_the_shortcut_gives_what_the_sdk_gives_where_nothing_is_exported(trace_id, parent_id, sampled):
    """Against the SDK with the sampler setup_tracing installs when there is no exporter: the same
    trace and flags downstream, only the (random) span id differs."""
    carrier = {"traceparent": f"00-{trace_id:032x}-{parent_id:016x}-{'01' if sampled else '00'}"}
    sdk = TracerProvider(sampler=ParentBased(ALWAYS_OFF)).get_tracer("test").start_span(
        "x", context=context_from_headers(carrier))
    saved = telemetry._recording
    telemetry._recording = False
    try:
        ours = start_span("x", carrier, kind=trace.SpanKind.CONSUMER, attributes=_no_attributes)
    finally:
        telemetry._recording = saved
    expected, got = sdk.get_span_context(), ours.get_span_context()
    assert (got.trace_id, got.trace_flags, got.is_remote) == (expected.trace_id, expected.trace_flags, False)
    assert got.span_id != parent_id


_HEX = "0123456789abcdef"
_TRACEPARENTS = st.one_of(
    st.builds(lambda t, s, f: f"00-{t:032x}-{s:016x}-{f:02x}", st.integers(0, 2**128 - 1),
              st.integers(0, 2**64 - 1), st.integers(0, 255)),
    st.builds(lambda v, t, s, f, tail: f"{v}-{t}-{s}-{f}{tail}",
              st.sampled_from(["00", "01", "ff", "0g", "0"]), st.text(_HEX + "ABCDEF", min_size=31, max_size=33),
              st.text(_HEX + "F", min_size=15, max_size=17), st.text(_HEX + "Z", min_size=1, max_size=3),
              st.sampled_from(["", "-", "-01", " ", "\t"])),
    st.text(max_size=60),
)


@given(_TRACEPARENTS, st.none() | st.sampled_from(["city=almaty", "a=1,b=2", "bad state", ""]))
def test_any_carrier_is_read_as_the_w3c_propagator_reads_it(traceparent, tracestate):
    """The direct reading of the platform's own traceparent against the propagator, for any
    header: the same trace, flags and state downstream, or a new unsampled trace where the
    propagator finds no parent."""
    carrier = {"traceparent": traceparent} | ({"tracestate": tracestate} if tracestate is not None else {})
    parent = trace.get_current_span(context_from_headers(carrier)).get_span_context()
    saved = telemetry._recording
    telemetry._recording = False
    try:
        got = start_span("x", carrier, kind=trace.SpanKind.CONSUMER, attributes=_no_attributes).get_span_context()
    finally:
        telemetry._recording = saved
    assert got.is_valid and not got.is_remote
    if parent.is_valid:
        assert (got.trace_id, got.trace_flags, got.trace_state) == (parent.trace_id, parent.trace_flags,
                                                                     parent.trace_state)
        assert got.span_id != parent.span_id
    else:
        assert not got.trace_flags.sampled and not got.trace_state


@given(st.integers(0, 2**128 - 1), st.integers(0, 2**64 - 1), st.integers(0, 255),
       st.sampled_from(["", "city=almaty", "a=1,b=2"]))
def test_trace_headers_are_written_as_the_w3c_propagator_writes_them(trace_id, span_id, flags, state):
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    span = trace.NonRecordingSpan(trace.SpanContext(trace_id, span_id, False, trace.TraceFlags(flags),
                                                    trace.TraceState.from_header([state]) if state else None))
    expected: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(expected, context=trace.set_span_in_context(span))
    if not span.get_span_context().is_valid:
        expected = {}  # the propagator writes a traceparent no reader accepts; we write none
    assert telemetry.headers_of_span(span) == expected
    assert headers_from_context(trace.set_span_in_context(span)) == expected


def test_a_recording_process_makes_a_child_span_with_its_attributes(monkeypatch):
    provider = TracerProvider()
    monkeypatch.setattr(telemetry, "_recording", True)
    monkeypatch.setattr(telemetry, "tracer", lambda: provider.get_tracer("test"))
    carrier = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
    span = start_span("appeals.registered.v1 process", carrier, kind=trace.SpanKind.CONSUMER,
                      attributes=lambda: {"appeals.event_type": "appeals.registered"})
    span.end()
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert format(span.get_span_context().trace_id, "032x") == TRACE_ID
    assert span.attributes["appeals.event_type"] == "appeals.registered"
