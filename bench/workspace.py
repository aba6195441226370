"""The executors' workspace against routing's own JSON, measured in the same run.

N appeals of the Medeu akimat are registered through intake's HTTP API and routed first. Then,
with C concurrent clients and one signed-in employee (a session sealed with the stack's keys,
as the workspace's sign-in seals it; the sign-in itself is not measured):

1. Baseline: each case read as JSON straight from routing
   (``GET /v1/executors/medeu_akimat/appeals/{id}``), the call the workspace makes.
2. Workspace: each case's page (``GET /appeals/{id}``): that call, routing's employees, the
   reference names, Jinja's rendering and the headers.
3. Queue: the organisation's queue, page by page (``GET /queue?page=k``) against routing's
   queue JSON (``GET /v1/executors/medeu_akimat/queue?page=k``).

Prints the rates, the ratios workspace / baseline, and the CPU seconds per 1,000 pages of the
workspace's process and of routing's. The machine is shared and noisy: compare ratios, not
absolute numbers. Not a test; run with ``make bench-workspace``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil

from appeals_devstack.issuer import IssuerKeys
from appeals_devstack.benchmarks import cpu_seconds, fetch_pages
from appeals_devstack.processes import services_running
from appeals_devstack.stack import EmbeddedStack
from appeals_runtime.cookies import CookieNames, Keys

EXECUTOR = "medeu_akimat"


async def _register(intake: str, bearer: dict[str, str], n: int) -> None:
    run = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=intake, headers=bearer, timeout=60) as http:
        async def one(i: int) -> None:
            reply = await http.post("/v1/appeals", json={
                "channel": "front_office", "channel_message_id": f"{run}-{i}", "kind": "complaint",
                "category": "landscaping", "district": "medeu", "text": f"Во дворе дома {i} сломана скамейка.",
                "language": "ru", "citizen": {"name": "Бенч Тестов", "phone": f"+7701{i:07d}"}})
            reply.raise_for_status()
        for start in range(0, n, 50):
            await asyncio.gather(*(one(i) for i in range(start, min(n, start + 50))))


async def _routed(routing: str, bearer: dict[str, str], n: int) -> list[str]:
    async with httpx.AsyncClient(base_url=routing, headers=bearer, timeout=60) as http:
        while True:
            found = (await http.get(f"/v1/executors/{EXECUTOR}/queue", params={"size": 200})).json()
            if found["total"] >= n:
                ids: list[str] = []
                for page in range(1, -(-found["total"] // 200) + 1):
                    items = (await http.get(f"/v1/executors/{EXECUTOR}/queue",
                                            params={"size": 200, "page": page})).json()["items"]
                    ids += [i["appeal_id"] for i in items]
                return ids[:n]
            await asyncio.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--appeals", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    n, c = args.appeals, args.concurrency
    names = ("intake", "routing", "deadline-tracker", "inspection", "workspace")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, EmbeddedStack(Path(tmp) / "stack", fresh=True) as info, \
            services_running(info, Path(tmp) / "logs", names) as processes:
        keys = IssuerKeys(Path(info.issuer_dir))
        token = info.token("bench-employee", "executor", executor_code=EXECUTOR, name="Bench Employee")
        bearer = {"Authorization": f"Bearer {token}"}
        asyncio.run(_register(processes["intake"].base_url, info.bearer("bench-operator", "operator"), n))
        ids = asyncio.run(_routed(processes["routing"].base_url, bearer, n))
        sealed = Keys(keys.secret("workspace-secret-key")).seal({
            "sub": "bench-employee", "name": "Bench Employee", "token": token, "exp": time.time() + 3600,
            "roles": ["executor"], "executor_code": EXECUTOR})
        session = {"Cookie": f"{CookieNames('workspace').session}={sealed}", "Accept-Language": "ru"}
        cpu = {name: psutil.Process(processes[name].pid) for name in ("routing", "workspace")}

        def measured(base: str, paths: list[str], headers: dict[str, str]) -> tuple[float, dict[str, float]]:
            before = {name: cpu_seconds(p) for name, p in cpu.items()}
            seconds = asyncio.run(fetch_pages(base, paths, c, headers))
            return seconds, {name: cpu_seconds(p) - before[name] for name, p in cpu.items()}

        routing, workspace = processes["routing"].base_url, processes["workspace"].base_url
        pages = max(1, n // 25)
        case_s, case_cpu = measured(routing, [f"/v1/executors/{EXECUTOR}/appeals/{i}" for i in ids], bearer)
        page_s, page_cpu = measured(workspace, [f"/appeals/{i}" for i in ids], session)
        queue_json_s, _ = measured(routing, [f"/v1/executors/{EXECUTOR}/queue?page={k % pages + 1}"
                                             for k in range(n)], bearer)
        queue_s, queue_cpu = measured(workspace, [f"/queue?page={k % pages + 1}" for k in range(n)], session)

    print(f"appeals: {n}, concurrent clients: {c}")
    print(f"baseline: routing's case JSON      {n / case_s:8.0f} /s  ({case_s:.1f} s); CPU s per 1,000: "
          f"routing {1000 * case_cpu['routing'] / n:.2f}")
    print(f"workspace: the case page           {n / page_s:8.0f} /s  ({page_s:.1f} s); CPU s per 1,000: "
          f"workspace {1000 * page_cpu['workspace'] / n:.2f}, routing {1000 * page_cpu['routing'] / n:.2f}")
    print(f"baseline: routing's queue JSON     {n / queue_json_s:8.0f} /s  ({queue_json_s:.1f} s)")
    print(f"workspace: the queue page          {n / queue_s:8.0f} /s  ({queue_s:.1f} s); CPU s per 1,000: "
          f"workspace {1000 * queue_cpu['workspace'] / n:.2f}, routing {1000 * queue_cpu['routing'] / n:.2f}")
    print(f"ratio case page / baseline:        {case_s / page_s:8.3f}")
    print(f"ratio queue page / baseline:       {queue_json_s / queue_s:8.3f}")


if __name__ == "__main__":
    main()
