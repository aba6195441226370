"""``appeals trace <registration number | appeal id>``: one appeal's trace as a tree;
``appeals dlq list|show|replay|purge``: the dead letters of every service;
``appeals status``: every service on one screen.

Reads the span files the services write with ``OTEL_TRACES_EXPORTER=file`` (``make run``
does) and prints every trace that touches the appeal, each span with its offset from the
trace's start, its service and its duration, then the time spent per service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from appeals_runtime import dead_letters
from appeals_runtime.trace_files import appeal_traces, read_spans, render


def _appeal_id_from_intake(number: str, intake_url: str, token: str | None) -> str | None:
    request = urllib.request.Request(f"{intake_url}/v1/appeals/{number}",
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310
            return json.load(reply)["appeal_id"]
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return None


def _local_token(state_dir: Path, role: str = "operator") -> str | None:
    """A short-lived token of the embedded stack's issuer, when this is a development machine
    (the development stack installed, its issuer's key there); in a city's cluster, none."""
    if not (state_dir / "issuer" / "signing-key.pem").exists():
        return None
    try:
        from appeals_devstack.issuer import IssuerKeys
    except ImportError:
        return None

    return IssuerKeys(state_dir / "issuer").mint(f"appeals-{role}-cli", role, ttl_s=300)


def _kafka(args: argparse.Namespace) -> dict[str, object]:
    """The broker as the services reach it: the same KAFKA_* settings (SASL_SSL, the on-call's
    own principal ``appeals-operator`` in production; ``SSL_CERT_FILE`` for a private CA);
    ``--bootstrap-servers`` overrides only the servers."""
    from appeals_runtime.settings import ServiceSettings

    options = ServiceSettings().kafka_client_options()
    if args.bootstrap_servers:
        options["bootstrap_servers"] = args.bootstrap_servers.split(",")
    return options


async def _dlq(args: argparse.Namespace) -> int:
    kafka = _kafka(args)
    letters = await dead_letters.find(kafka, service=args.service, topic=args.topic,
                                      reason=args.reason, since=args.since, until=args.until)
    if args.action == "show":
        if not args.at:
            print("show needs --at DLQ_TOPIC:PARTITION:OFFSET", file=sys.stderr)
            return 2
        topic, partition, offset = args.at.rsplit(":", 2)
        letter = next((l for l in letters if (l.dlq_topic, l.partition, l.offset) == (topic, int(partition),
                                                                                        int(offset))), None)
        if letter is None:
            print(f"no dead letter at {args.at}", file=sys.stderr)
            return 1
        for key, value in letter.headers:
            print(f"{key}: {value.decode('utf-8', 'replace')}")
        if args.with_payload:
            print(f"value: {letter.value.decode('utf-8', 'replace')}")
        return 0
    if args.action == "list":
        for l in letters:
            print(f"{l.dlq_topic}:{l.partition}:{l.offset}  {l.header('dlq_failed_at')}  "
                  f"from {l.original_topic}[{l.header('dlq_original_partition')}]@{l.header('dlq_original_offset')}  "
                  f"{l.reason}")
        print(f"{len(letters)} dead letters")
        return 0
    if args.action == "purge":
        if not args.yes:
            print(f"would delete {len(letters)} dead letters (each partition's oldest first); add --yes")
            return 0
        try:
            deleted, kept = await dead_letters.purge(kafka, letters)
        except dead_letters.PurgeRefused as refused:
            print(f"nothing deleted: {refused}", file=sys.stderr)
            return 1
        print(f"deleted {deleted} dead letters" + (f"; kept {kept} that follow a record not chosen" if kept else ""))
        return 0
    if not args.yes:
        print(f"would replay {len(letters)} records to their original topics; add --yes")
        return 0
    print(f"replayed {await dead_letters.replay(kafka, letters)} records")
    return 0


def _status(args: argparse.Namespace) -> int:
    from appeals_ops.status import read, render

    if args.url:
        urls = dict(u.split("=", 1) for u in args.url)
    else:
        try:  # a development machine: the ports of `make run`
            from appeals_devstack.services import SERVICES
        except ImportError:
            print("name the services: appeals status --url intake=http://… --url routing=http://…", file=sys.stderr)
            return 2
        urls = {s.name: f"http://127.0.0.1:{s.http_port}" for s in SERVICES}
    token = args.token or _local_token(args.state_dir, "sre")
    rows = [read(name, url.rstrip("/"), token) for name, url in urls.items()]
    print(render(rows))
    return 0 if all(r.ready == "ready" for r in rows) else 1


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
    status = sub.add_parser("status", help="every service on one screen: readiness, stage, lag, backlogs, dead letters")
    status.add_argument("--url", action="append", default=[], metavar="SERVICE=URL",
                        help="a service's base URL (repeatable; default: the embedded stack's ports)")
    status.add_argument("--token", default=os.environ.get("APPEALS_TOKEN"),
                        help="an sre bearer token (default: $APPEALS_TOKEN, else one of the local issuer)")
    status.add_argument("--state-dir", type=Path, default=Path(".state"))
    dlq = sub.add_parser("dlq", help="dead letters: list, show, replay, purge")
    dlq.add_argument("action", choices=["list", "show", "replay", "purge"])
    dlq.add_argument("--bootstrap-servers", default="",
                     help="host:port,... (default: KAFKA_BOOTSTRAP_SERVERS; the other KAFKA_* settings apply)")
    dlq.add_argument("--service", help="the service that dead-lettered the record")
    dlq.add_argument("--topic", help="the record's original topic")
    dlq.add_argument("--reason", help="a part of the reason")
    dlq.add_argument("--since", type=datetime.fromisoformat, help="failed at or after (ISO 8601 with offset)")
    dlq.add_argument("--until", type=datetime.fromisoformat, help="failed before")
    dlq.add_argument("--at", help="for show: DLQ_TOPIC:PARTITION:OFFSET")
    dlq.add_argument("--with-payload", action="store_true",
                     help="for show: also print the record's value, which may hold personal data")
    dlq.add_argument("--yes", action="store_true", help="for replay and purge: do it (without it, only say what)")
    args = parser.parse_args(argv)
    if args.command == "dlq":
        return asyncio.run(_dlq(args))
    if args.command == "status":
        return _status(args)

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
