"""Run services as separate processes and wait until they are ready."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from appeals_devstack.children import die_with_parent, stop_group
from appeals_devstack.ports import free_port
from appeals_devstack.issuer import MAIL_SERVICE_CLIENT_ID, PORTAL_SERVICE_CLIENT_ID, IssuerKeys
from appeals_devstack.services import APPS, SERVICES, ServiceDef
from appeals_devstack.stack import StackInfo


class ServiceProcess:
    """One service process with its own log file under ``log_dir``."""

    def __init__(self, service: ServiceDef, stack: StackInfo, log_dir: Path, *,
                 http_port: int | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.service = service
        self.stack = stack
        self.http_port = http_port or free_port()
        self.log_path = log_dir / f"{service.name}.log"
        own = {"HTTP_PORT": str(self.http_port)}
        if service.name == "inspection":  # the console's sign-in comes back here
            own["CONSOLE_URL"] = self.base_url
        if service.name == "portal":  # citizens' sign-in comes back here; its own keys from the stack's issuer
            keys = IssuerKeys(Path(stack.issuer_dir))
            own.update(PORTAL_URL=self.base_url, PORTAL_SECRET_KEY=keys.secret("portal-secret-key"),
                       PORTAL_SERVICE_CLIENT_SECRET=keys.client_secret(PORTAL_SERVICE_CLIENT_ID))
        if service.name == "workspace":  # employees' sign-in comes back here; it signs with every executor's key
            own.update(WORKSPACE_URL=self.base_url,
                       WORKSPACE_SECRET_KEY=IssuerKeys(Path(stack.issuer_dir)).secret("workspace-secret-key"),
                       WORKSPACE_SIGNING_KEYS_DIR=stack.portal_keys_dir)
        if service.name == "mail":  # the e-mail adapter's own client at the issuer (a letter's files)
            own.update(MAIL_CLIENT_SECRET=IssuerKeys(Path(stack.issuer_dir)).client_secret(MAIL_SERVICE_CLIENT_ID))
        if service.name == "desk":  # operators' sign-in comes back here
            own.update(DESK_URL=self.base_url,
                       DESK_SECRET_KEY=IssuerKeys(Path(stack.issuer_dir)).secret("desk-secret-key"))
        self.extra_env = dict(extra_env or {})
        self.env = {**os.environ, **stack.service_env(service.name, service.database), **own, **self.extra_env}
        self._proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> ServiceProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self._proc = subprocess.Popen([sys.executable, "-m", self.service.module], env=self.env,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                      preexec_fn=die_with_parent)
        return self

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Wait for ``/health/ready``. A process that dies or does not get ready is killed
        before the error is raised, so no half-started service outlives its caller."""
        try:
            self._wait_ready(timeout_s)
        except BaseException:
            self.kill()
            raise

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"{self.service.name} exited with {self._proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.service.name} not ready after {timeout_s:.0f}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, as a crash would be."""
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM and wait for a graceful shutdown (SIGKILL after ``timeout_s``)."""
        if self._proc is None:
            return None
        return stop_group(self._proc, timeout_s)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None


def wire(processes: Mapping[str, ServiceProcess]) -> None:
    """Point the processes at each other before they start: the console, the portal, the
    workspace and the desk at the APIs they call, and the links in citizens' messages at the portal."""
    urls = {name: p.base_url for name, p in processes.items()}
    for name, p in processes.items():
        own = {}
        if name in ("inspection", "portal", "workspace", "desk", "mail") and "intake" in urls:
            own["INTAKE_URL"] = urls["intake"]
        if name in ("portal", "workspace") and "inspection" in urls:
            own["INSPECTION_URL"] = urls["inspection"]
        if name == "workspace" and "routing" in urls:
            own["ROUTING_URL"] = urls["routing"]
        if name == "notification" and "portal" in urls:
            own["TRACK_URL"] = f"{urls['portal']}/s/{{number}}/{{token}}"
        p.env = {**p.env, **own, **p.extra_env}  # what the caller gave wins


@contextmanager
def services_running(stack: StackInfo, log_dir: Path, names: Iterable[str] | None = None, *,
                     env: Mapping[str, Mapping[str, str]] | None = None,
                     timeout_s: float = 120.0) -> Iterator[dict[str, ServiceProcess]]:
    """The services named (every one by default) as processes on ``stack``, each with its own
    ``env`` entries, all ready; stopped when the block ends, however it ends."""
    wanted = set(names) if names is not None else {s.name for s in SERVICES}
    processes = {s.name: ServiceProcess(s, stack, log_dir, extra_env=dict((env or {}).get(s.name, {})))
                 for s in (*SERVICES, *APPS) if s.name in wanted}
    wire(processes)
    for p in processes.values():
        p.start()
    try:
        for p in processes.values():
            p.wait_ready(timeout_s=timeout_s)
        yield processes
    finally:
        for p in processes.values():
            p.stop()
