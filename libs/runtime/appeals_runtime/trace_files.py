"""Spans as JSON lines, and reading them back as one appeal's trace.

``OTEL_TRACES_EXPORTER=file`` makes each service process append its finished spans to
``<APPEALS_TRACE_DIR>/<service>-<pid>.jsonl`` (``make run`` sets this up). Only ids, names,
timings and the platform's non-personal attributes are written. ``appeals trace`` reads
the files back and prints an appeal's trace as a tree with timings per service.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON object per span to a file of its own process."""

    def __init__(self, directory: Path, service_name: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{service_name}-{os.getpid()}.jsonl"
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for s in spans:
            ctx = s.get_span_context()
            if ctx is None:
                continue
            lines.append(json.dumps({
                "trace_id": f"{ctx.trace_id:032x}", "span_id": f"{ctx.span_id:016x}",
                "parent_id": f"{s.parent.span_id:016x}" if s.parent else None,
                "name": s.name, "service": s.resource.attributes.get("service.name", "?"),
                "start": s.start_time, "end": s.end_time, "status": s.status.status_code.name,
                "attributes": {k: v for k, v in (s.attributes or {}).items() if isinstance(v, (str, int, float, bool))},
            }, ensure_ascii=False))
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    start: int
    end: int
    status: str
    attributes: dict[str, Any]
    children: list[Span] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return (self.end - self.start) / 1e6


def read_spans(directory: Path) -> list[Span]:
    """Every span in ``directory``'s files. Records are split on ``\n`` only: a span's
    attributes may hold any other line separator (U+0085, U+2028) inside a JSON string. A
    line cut short (a process killed while writing) is left out."""
    spans = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text("utf-8").split("\n"):
            if not line.strip():
                continue
            try:
                spans.append(Span(**json.loads(line)))
            except (ValueError, TypeError):
                continue
    return spans


def appeal_traces(spans: Iterable[Span], appeal: str) -> dict[str, list[Span]]:
    """Every trace holding a span about ``appeal`` (its id or its registration number)."""
    spans = list(spans)
    ids = {appeal}
    ids |= {str(subject) for s in spans
            if s.attributes.get("appeals.registration_number") == appeal
            and (subject := s.attributes.get("appeals.subject")) is not None}
    traces = {s.trace_id for s in spans
              if s.attributes.get("appeals.subject") in ids or s.attributes.get("appeals.registration_number") in ids}
    return {t: [s for s in spans if s.trace_id == t] for t in traces}


def tree(spans: list[Span]) -> list[Span]:
    """The roots of ``spans`` with their children attached, in start order."""
    by_id = {s.span_id: s for s in spans}
    roots: list[Span] = []
    for s in sorted(spans, key=lambda s: s.start):
        s.children = []
    for s in sorted(spans, key=lambda s: s.start):
        parent = by_id.get(s.parent_id or "")
        (parent.children if parent else roots).append(s)
    return roots


def render(spans: list[Span]) -> str:
    """A trace as an indented tree: offset from the trace's start, service, span, duration."""
    if not spans:
        return ""
    origin = min(s.start for s in spans)
    lines: list[str] = []

    def walk(span: Span, depth: int) -> None:
        lines.append(f"{(span.start - origin) / 1e6:9.1f} ms  {span.service:<17} {'  ' * depth}{span.name}"
                     f"  ({span.duration_ms:.1f} ms{'' if span.status != 'ERROR' else ', ERROR'})")
        for child in span.children:
            walk(child, depth + 1)

    for root in tree(spans):
        walk(root, 0)
    services: dict[str, float] = {}
    for s in spans:
        services[s.service] = services.get(s.service, 0.0) + s.duration_ms
    lines.append("")
    lines.append("time in spans per service: " + ", ".join(f"{k} {v:.1f} ms" for k, v in sorted(services.items())))
    return "\n".join(lines)
