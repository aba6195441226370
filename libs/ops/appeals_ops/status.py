"""``appeals status``: one screen for the SRE on call. For every service: readiness (and the
background tasks waiting to restart), what it has done (its stage's counters), consumer lag,
the outbox backlog and the age of its oldest unpublished row, and dead letters, read from
``/health/ready`` and ``/metrics`` (an ``sre`` token: ``--token``, ``$APPEALS_TOKEN``, or one of
the embedded stack's local issuer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[str, list[tuple[dict[str, str], float]]]


def _sum(samples: Samples, name: str, **labels: str) -> float:
    return sum(v for ls, v in samples.get(name, []) if labels.items() <= ls.items())


def _max(samples: Samples, name: str) -> float:
    return max((v for _, v in samples.get(name, [])), default=0.0)


#: What each service's stage has done, in a few words, from its own series.
STAGE: dict[str, Callable[[Samples], str]] = {
    "intake": lambda s: f"registered {_sum(s, 'appeals_intake_registrations_total'):.0f}, "
                        f"refused {_sum(s, 'appeals_intake_rejections_total'):.0f}",
    "routing": lambda s: f"assigned {_sum(s, 'appeals_routing_assignments_total'):.0f}, "
                         f"not routed {_sum(s, 'appeals_routing_not_routed_total'):.0f}",
    "deadline-tracker": lambda s: f"open {_max(s, 'appeals_deadlines_open'):.0f}, "
                                  f"overdue {_max(s, 'appeals_deadlines_overdue'):.0f}, "
                                  f"timers late {_max(s, 'appeals_timers_lateness_seconds'):.0f} s",
    "notification": lambda s: f"delivered {_sum(s, 'appeals_notification_delivery_attempts_total', outcome='delivered'):.0f}, "
                              f"failed {_sum(s, 'appeals_notification_delivery_attempts_total', outcome='failed'):.0f}, "
                              f"pending {_sum(s, 'appeals_notification_backlog'):.0f}",
    "inspection": lambda s: f"queue {_max(s, 'appeals_inspection_queue'):.0f}, "
                            f"escalations {_max(s, 'appeals_inspection_open_escalations'):.0f}",
}


@dataclass
class Row:
    service: str
    ready: str
    stage: str
    lag: str
    outbox: str
    dead_letters: str


def read(service: str, base_url: str, token: str | None, timeout_s: float = 5.0) -> Row:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        health = httpx.get(f"{base_url}/health/ready", timeout=timeout_s)
    except httpx.HTTPError as exc:
        return Row(service, f"unreachable ({type(exc).__name__})", "", "", "", "")
    body = health.json() if health.headers.get("content-type", "").startswith("application/json") else {}
    ready = "ready" if health.status_code == 200 else "NOT READY " + ", ".join(
        [k for k, ok in body.get("checks", {}).items() if not ok] + [f"task {t} down" for t in body.get("tasks_down", [])])
    reply = httpx.get(f"{base_url}/metrics", headers=headers, timeout=timeout_s)
    if reply.status_code != 200:
        return Row(service, ready, f"metrics: HTTP {reply.status_code} (an sre token?)", "", "", "")
    samples: Samples = {}
    for family in text_string_to_metric_families(reply.text):
        for s in family.samples:
            samples.setdefault(s.name, []).append((s.labels, s.value))
    backlog, oldest = _sum(samples, "appeals_outbox_backlog_rows"), _max(samples, "appeals_outbox_oldest_age_seconds")
    return Row(service, ready, STAGE.get(service, lambda _: "")(samples),
               f"{_sum(samples, 'appeals_consumer_lag_records'):.0f}",
               f"{backlog:.0f}" + (f" (oldest {oldest:.0f} s)" if backlog else ""),
               f"{_sum(samples, 'appeals_dead_letters_total'):.0f}")


def render(rows: list[Row]) -> str:
    header = Row("service", "readiness", "stage", "lag", "outbox", "dead letters")
    columns = list(vars(header))
    widths = {c: max(len(str(getattr(r, c))) for r in [header, *rows]) for c in columns}
    lines = ["  ".join(str(getattr(r, c)).ljust(widths[c]) for c in columns).rstrip() for r in [header, *rows]]
    return "\n".join([lines[0], "  ".join("-" * widths[c] for c in columns), *lines[1:]])
