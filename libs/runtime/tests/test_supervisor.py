import asyncio

from appeals_runtime.retry import RetryPolicy
from appeals_runtime.supervisor import Supervisor
from appeals_devstack.testing import eventually


async def test_a_failed_task_is_down_then_restarted():
    runs, restarted = [], []
    release = asyncio.Event()

    async def task() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise KeyError("a bug")
        await release.wait()

    supervisor = Supervisor(RetryPolicy(attempts=None, initial_s=0.2, max_s=0.2), on_restart=restarted.append)
    supervisor.start("worker", task)
    await eventually(lambda: supervisor.down() == ["worker"], interval_s=0.01, what="reported down")
    await eventually(lambda: len(runs) == 2 and supervisor.is_up("worker"), interval_s=0.01, what="restarted")
    assert restarted == ["worker"]
    await supervisor.stop()
    assert supervisor.down() == []


async def test_a_finished_task_is_not_restarted():
    stop = asyncio.Event()
    runs = []

    async def relay() -> None:
        runs.append(1)
        await stop.wait()

    supervisor = Supervisor()
    supervisor.start("relay", relay)
    await eventually(lambda: runs, interval_s=0.01, what="started")
    await supervisor.finish("relay", stop.set)
    assert runs == [1] and supervisor.down() == []
