"""``make run``'s start-up with each identity provider, measured in the same run.

For each of the local issuer (the baseline) and Keycloak: ``appeals-stack run`` in a state folder
of its own, timed from the command's start to its "Running." line (every service and application
ready), then stopped with Ctrl-C; twice, as a developer meets it: the first start (Keycloak
imports its realm into an empty database; PostgreSQL is made) and the next one (all kept).
Keycloak's distribution is fetched (and built, the first time) before the timing: a download
is not a start-up. Prints the seconds and the ratio Keycloak / local issuer, and the CPU
seconds the identity provider's own process spent until ready.

Not a test; run with ``make bench-idp``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from appeals_devstack.keycloak import keycloak_home

ROOT = Path(__file__).resolve().parents[1]


def start_up(state_dir: Path, idp: str, timeout_s: float = 600) -> tuple[float, float]:
    """Seconds until "Running.", and the CPU seconds of Keycloak's JVM by then (0 for the local
    issuer, which runs inside the stack's own process)."""
    command = [str(ROOT / ".venv" / "bin" / "appeals-stack"), "run", "--state-dir", str(state_dir), "--idp", idp]
    began = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Running."):
                took = time.monotonic() - began
                return took, _keycloak_cpu(process.pid)
            if time.monotonic() - began > timeout_s:
                break
        raise RuntimeError(f"appeals-stack run --idp {idp} did not get ready (exit {process.poll()})")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _keycloak_cpu(pid: int) -> float:
    total = 0.0
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if "keycloak" in " ".join(child.cmdline()).lower() and "java" in child.name():
                times = child.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2, help="starts per identity provider (the first is the first)")
    args = parser.parse_args(argv)
    keycloak_home()  # fetched beforehand
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-idp-") as tmp:
        for idp in ("local", "keycloak"):
            state = Path(tmp) / idp
            results[idp] = [start_up(state, idp) for _ in range(args.runs)]
            shutil.rmtree(state, ignore_errors=True)
    print(f"{'start':<8}{'local issuer s':>16}{'Keycloak s':>12}{'ratio':>8}{'Keycloak CPU s':>16}")
    for i in range(args.runs):
        (local, _), (keycloak, cpu) = results["local"][i], results["keycloak"][i]
        label = "first" if i == 0 else f"next {i}"
        print(f"{label:<8}{local:>16.1f}{keycloak:>12.1f}{keycloak / local:>8.2f}{cpu:>16.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
