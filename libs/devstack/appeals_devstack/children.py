"""Child processes of the launcher and the tests die with them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def die_with_parent() -> None:
    """``preexec_fn`` for Linux: the child gets SIGTERM when the process that started it dies,
    so a killed test run or launcher leaves no service or broker behind (a stray service would
    reconnect to the next run's database and hold its outbox relay's lock)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_group(process: subprocess.Popen, timeout_s: float = 30.0) -> int:
    """SIGTERM to the child's process group (started with ``start_new_session``) and wait for a
    graceful end; SIGKILL after ``timeout_s``. Returns the exit code."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode
