"""Free loopback ports.

A port is handed out from below the kernel's ephemeral range: a port the kernel picked (bind
to 0) is closed again before the process that was told it binds, and in between any outgoing
connection of any process may be given the same port as its local end (seen in a test: a
service started next to five others failed with "address already in use"). Below the range
only another listener can take it, and none of ours asks the kernel for one there."""

from __future__ import annotations

import random
import socket
import threading
import time
from pathlib import Path

_given: set[int] = set()
_lock = threading.Lock()


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A loopback port nothing listens on now, below the ephemeral range, not handed out before
    by this process."""
    top = min(_ephemeral_start(), 65536)
    with _lock:
        for _ in range(200):
            port = random.randrange(max(top - 12000, 1024), top)
            if port in _given:
                continue
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _given.add(port)
            return port
    with socket.socket() as s:  # a crowded machine: the kernel's choice after all
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answers on {host}:{port} after {timeout_s:.0f}s")
