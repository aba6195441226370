"""The citizen's portal against intake's own JSON, measured in the same run.

N appeals are registered through intake's HTTP API first. Then, with C concurrent clients:

1. Baseline: each appeal's status read as JSON straight from intake
   (``GET /v1/status/{number}?token=``), what the portal itself calls.
2. Portal: each appeal's status page (``GET /s/{number}/{token}``): the same call to intake,
   plus the timeline told in sentences, the reference names, Jinja's rendering and the headers.
3. Portal forms: the submission form of a topic (``GET /submit?category=road_repair``), no call
   to any service.

Prints the rates, the ratio portal / baseline, and the CPU seconds per 1,000 pages of the
portal's process and of intake's. The machine is shared and noisy: compare ratios, not absolute
numbers. The portal's rate limit per address is lifted for the run (one client address here).
Not a test; run with ``make bench-portal``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from pathlib import Path

import httpx
import psutil

from appeals_devstack.benchmarks import cpu_seconds, fetch_pages
from appeals_devstack.processes import services_running
from appeals_devstack.stack import EmbeddedStack
from appeals_devstack.testing import VALID_IIN


async def _register(intake: str, bearer: dict[str, str], n: int) -> list[tuple[str, str]]:
    run = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=intake, headers=bearer, timeout=60) as http:
        async def one(i: int) -> tuple[str, str]:
            reply = await http.post("/v1/appeals", json={
                "channel": "portal", "channel_message_id": f"{run}-{i}", "kind": "complaint",
                "category": "road_repair", "district": "medeu", "text": f"Яма у дома {i}, опасно для машин.",
                "language": "ru", "citizen": {"name": "Бенч Тестов", "iin": VALID_IIN, "phone": "+77010000000"}})
            reply.raise_for_status()
            body = reply.json()
            return body["registration_number"], body["status_token"]
        pages: list[tuple[str, str]] = []
        for start in range(0, n, 50):
            pages += await asyncio.gather(*(one(i) for i in range(start, min(n, start + 50))))
        return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appeals", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    n, c = args.appeals, args.concurrency
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, EmbeddedStack(Path(tmp) / "stack", fresh=True) as info, \
            services_running(info, Path(tmp) / "logs", ["intake", "portal"],
                             env={"portal": {"LOOKUP_LIMIT_PER_ADDRESS": "1000000/minute"}}) as processes:
        intake, portal = processes["intake"], processes["portal"]
        pages = asyncio.run(_register(intake.base_url, info.bearer("bench-operator", "operator"), n))
        cpu = {name: psutil.Process(p.pid) for name, p in processes.items()}

        def measured(base: str, paths: list[str]) -> tuple[float, dict[str, float]]:
            before = {name: cpu_seconds(p) for name, p in cpu.items()}
            seconds = asyncio.run(fetch_pages(base, paths, c, {"Accept-Language": "kk"}))
            return seconds, {name: cpu_seconds(p) - before[name] for name, p in cpu.items()}

        baseline_s, baseline_cpu = measured(intake.base_url, [f"/v1/status/{num}?token={tok}" for num, tok in pages])
        portal_s, portal_cpu = measured(portal.base_url, [f"/s/{num}/{tok}" for num, tok in pages])
        forms_s, forms_cpu = measured(portal.base_url, ["/submit?category=road_repair"] * n)

    print(f"appeals: {n}, concurrent clients: {c}")
    print(f"baseline: intake's status JSON        {n / baseline_s:8.0f} /s  ({baseline_s:.1f} s); CPU s per 1,000: "
          f"intake {1000 * baseline_cpu['intake'] / n:.2f}")
    print(f"portal: the status page              {n / portal_s:8.0f} /s  ({portal_s:.1f} s); CPU s per 1,000: "
          f"portal {1000 * portal_cpu['portal'] / n:.2f}, intake {1000 * portal_cpu['intake'] / n:.2f}")
    print(f"portal: the submission form          {n / forms_s:8.0f} /s  ({forms_s:.1f} s); CPU s per 1,000: "
          f"portal {1000 * forms_cpu['portal'] / n:.2f}")
    print(f"ratio status page / baseline:        {baseline_s / portal_s:8.3f}")


if __name__ == "__main__":
    main()
