"""The whole platform on this machine, for the chaos suite and the benchmarks: the embedded
stack, the local mail and SMS sinks, and every service as processes of their own."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from appeals_devstack.ports import free_port
from appeals_devstack.processes import ServiceProcess
from appeals_devstack.services import SERVICES, ServiceDef
from appeals_devstack.sinks import MailSink, SmsSink
from appeals_devstack.stack import EmbeddedStack, StackInfo

T = TypeVar("T")


class Platform:
    """The embedded stack, the sinks and every service (``replicas`` processes each, or as
    ``scale`` says for the services it names)."""

    def __init__(self, state_dir: Path, *, replicas: int = 1, env: Mapping[str, str] | None = None,
                 sink_stall_s: float = 3.0, scale: Mapping[str, int] | None = None, kafka: str = "embedded") -> None:
        self.state_dir = state_dir
        self.stack = EmbeddedStack(state_dir, fresh=True, kafka=kafka)
        self.replicas = replicas
        self.scale = dict(scale or {})
        self.env = dict(env or {})
        shutil.rmtree(state_dir / "mail", ignore_errors=True)  # a fresh platform, fresh sinks
        (state_dir / "sms.jsonl").unlink(missing_ok=True)
        self.info: StackInfo | None = None
        self.mail = MailSink(state_dir / "mail", stall_s=sink_stall_s)
        self.sms = SmsSink(state_dir / "sms.jsonl", stall_s=sink_stall_s)
        self.processes: dict[str, list[ServiceProcess]] = {}
        # Children die with the thread that started them (PR_SET_PDEATHSIG): restarts happen on
        # one thread that lives as long as the platform, never on a fault's short-lived one.
        self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="starter")

    def restart(self, process: ServiceProcess) -> None:
        def start() -> None:
            process.start()
            process.wait_ready(timeout_s=180)

        self.on_starter(start)

    def on_starter(self, start: Callable[[], T]) -> T:
        """``start()`` on the thread whose children live as long as the platform: whatever
        starts a process (a service, a broker node) after :meth:`start`."""
        return self._starter.submit(start).result()

    def extra_process(self, service: str) -> ServiceProcess:
        """One more process of ``service`` (not started), as a scaled deployment would add."""
        assert self.info is not None
        n = len(self.processes[service])
        return self._process(next(s for s in SERVICES if s.name == service), n)

    def _process(self, service: ServiceDef, n: int) -> ServiceProcess:
        assert self.info is not None
        env = {**self.env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.mail.port), "SMS_GATEWAY_URL": self.sms.url}
        if service.name == "inspection":  # the console fetches attachments from intake
            env["INTAKE_URL"] = self.processes["intake"][0].base_url
        return ServiceProcess(service, self.info, self.state_dir / "logs" / f"r{n}", http_port=free_port(),
                              extra_env=env)

    def start(self) -> Platform:
        self.info = self.stack.start()
        self.mail.start()
        self.sms.start()
        for service in SERVICES:  # intake first: the console fetches attachments from it
            self.processes[service.name] = [self._process(service, n).start()
                                            for n in range(self.scale.get(service.name, self.replicas))]
        for group in self.processes.values():
            for p in group:
                p.wait_ready(timeout_s=180)
        return self

    def stop(self) -> None:
        for group in self.processes.values():
            for p in group:
                p.stop()
        self._starter.shutdown()
        self.mail.stop()
        self.sms.stop()
        self.stack.stop()


@contextmanager
def running(platform: Platform) -> Iterator[Platform]:
    try:
        yield platform.start()
    finally:
        platform.stop()
