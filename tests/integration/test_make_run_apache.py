"""`make run KAFKA=apache` stopped with Ctrl-C while an adapter's submissions are still being
registered, and started again: Apache Kafka kept the adapter's records on disk and the
consumer groups' offsets with them, so after the restart every submission is registered, once.
(The embedded broker keeps records in memory and loses those not read yet: README.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from appeals_contracts.events import CitizenContact
from appeals_devstack.apache_kafka import ApacheKafkaCluster, kafka_jars
from appeals_devstack.ports import free_port
from appeals_devstack.services import SERVICES
from appeals_devstack.testing import eventually, submission, submission_record

pytestmark = [pytest.mark.integration, pytest.mark.apache_kafka]
LAUNCHER = Path(sys.executable).with_name("appeals-stack")
SUBMISSIONS = 3000
INTAKE = next(s for s in SERVICES if s.name == "intake")


def _busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Run:
    """``appeals-stack run --kafka apache`` as a person starts it, and Ctrl-C."""

    def __init__(self, state: Path, issuer_port: int, output: Path, *, fresh: bool) -> None:
        self.output = output
        self.process = subprocess.Popen(
            [str(LAUNCHER), "run", "--kafka", "apache", "--state-dir", str(state), "--issuer-port", str(issuer_port),
             *(["--fresh"] if fresh else [])],
            stdout=output.open("w"), stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})

    async def ready(self) -> str:
        def up() -> bool:
            assert self.process.poll() is None, self.output.read_text()[-3000:]
            return "Running. Ctrl-C stops everything." in self.output.read_text()

        await eventually(up, timeout_s=300, interval_s=0.5, what="make run KAFKA=apache to get ready")
        line = next(l for l in self.output.read_text().splitlines() if l.startswith("PostgreSQL: "))
        prefix, _, query = line.removeprefix("PostgreSQL: ").partition("?")
        return f"{prefix.rsplit('/', 1)[0]}/{INTAKE.database}" + (f"?{query}" if query else "")

    def interrupt(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=120)


async def _registered(database_url: str, run: str) -> tuple[int, int]:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT count(*) AS n, count(DISTINCT channel_message_id) AS d FROM appeals "
                                  "WHERE channel_message_id LIKE $1", f"{run}-%")
        return row["n"], row["d"]
    finally:
        await conn.close()


@pytest.mark.skipif(any(_busy(s.http_port) for s in SERVICES), reason="a `make run` is already running here")
async def test_a_ctrl_c_mid_flow_loses_none_of_an_adapters_submissions(tmp_path: Path):
    from confluent_kafka import Producer

    state, issuer_port, run = tmp_path / "state", free_port(), f"restart-{uuid.uuid4().hex[:8]}"
    first = Run(state, issuer_port, tmp_path / "first.out", fresh=True)
    try:
        intake_db = await first.ready()
        cluster = ApacheKafkaCluster(state / "apache-kafka", kafka_jars())
        adapter = Producer({**cluster.librdkafka_config("adapter-telegram"), "enable.idempotence": True,
                            "acks": "all", "linger.ms": 20})
        for n in range(SUBMISSIONS):
            citizen = CitizenContact(name="Telegram Citizen", phone=f"+7701{n:07d}", preferred_language="ru")
            key, value, headers = submission_record(
                submission(f"{run}-{n}", channel="social_network", social_network="telegram", citizen=citizen),
                source="/adapters/telegram")
            adapter.produce("appeals.intake.v1", key=key, value=value, headers=headers)
            adapter.poll(0)
        assert adapter.flush(60) == 0, "the adapter's records were not all acknowledged"

        async def started() -> bool:
            return (await _registered(intake_db, run))[0] > 0

        await eventually(started, timeout_s=60, interval_s=0.05, what="intake to start registering")
        at_interrupt = (await _registered(intake_db, run))[0]
    finally:
        assert first.interrupt() == 0, (tmp_path / "first.out").read_text()[-3000:]
    assert at_interrupt < SUBMISSIONS, "intake registered everything before Ctrl-C: the test proved nothing"

    second = Run(state, issuer_port, tmp_path / "second.out", fresh=False)
    try:
        intake_db = await second.ready()

        async def all_registered() -> tuple[int, int] | None:
            counts = await _registered(intake_db, run)
            return counts if counts[0] >= SUBMISSIONS else None

        total, distinct = await eventually(all_registered, timeout_s=180, interval_s=1.0,
                                           what="every submission registered after the restart")
        assert (total, distinct) == (SUBMISSIONS, SUBMISSIONS), (at_interrupt, total, distinct)
    finally:
        assert second.interrupt() == 0, (tmp_path / "second.out").read_text()[-3000:]
