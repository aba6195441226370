"""``appeals trace <registration number | appeal id>``: one appeal's trace as a tree.

Reads the span files the services write with ``OTEL_TRACES_EXPORTER=file`` (``make run``
does) and prints every trace that touches the appeal, each span with its offset from the
trace's start, its service and its duration, then the time spent per service.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from appeals_runtime.trace_files import appeal_traces, read_spans, render


def _appeal_id_from_intake(number: str, intake_url: str, token: str | None) -> str | None:
    request = urllib.request.Request(f"{intake_url}/v1/appeals/{number}",
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310
            return json.load(reply)["appeal_id"]
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return None


def _local_token(state_dir: Path) -> str | None:
    """An operator token of the embedded stack's issuer, when this is a development machine."""
    if not (state_dir / "issuer" / "signing-key.pem").exists():
        return None
    from appeals_devstack.issuer import IssuerKeys

    return IssuerKeys(state_dir / "issuer").mint("appeals-trace", "operator", ttl_s=300)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="appeals", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("trace", help="print an appeal's trace")
    show.add_argument("appeal", help="registration number (OA-2026-00000001) or appeal id")
    show.add_argument("--dir", type=Path, default=Path(".state/traces"), help="APPEALS_TRACE_DIR of the run")
    show.add_argument("--intake", default="http://127.0.0.1:8001", help="asked for the id of a number no span names")
    show.add_argument("--token", default=os.environ.get("APPEALS_TOKEN"),
                      help="an operator's bearer token for that question (default: $APPEALS_TOKEN, else one of "
                           "the local issuer under --state-dir)")
    show.add_argument("--state-dir", type=Path, default=Path(".state"))
    args = parser.parse_args(argv)

    spans = read_spans(args.dir)
    traces = appeal_traces(spans, args.appeal)
    if not traces and not args.appeal.count("-") == 4:
        appeal_id = _appeal_id_from_intake(args.appeal, args.intake, args.token or _local_token(args.state_dir))
        traces = appeal_traces(spans, appeal_id) if appeal_id else {}
    if not traces:
        print(f"no spans about {args.appeal} in {args.dir} (is the platform running with OTEL_TRACES_EXPORTER=file?)",
              file=sys.stderr)
        return 1
    for trace_id, trace_spans in sorted(traces.items(), key=lambda kv: min(s.start for s in kv[1])):
        services = sorted({s.service for s in trace_spans})
        print(f"trace {trace_id}: {len(trace_spans)} spans, services: {', '.join(services)}")
        print(render(trace_spans))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
