"""A polling worker runs at once when rung, and a ring that comes while it works is not lost."""

import asyncio

from appeals_runtime.workers import poll

HOUR = 3600.0  # an interval no test waits out: every round below comes from a ring


async def test_a_ring_runs_the_next_round_now_and_a_ring_during_a_round_is_kept():
    wake, stopping = asyncio.Event(), asyncio.Event()
    rounds: list[int] = []
    in_round, let_go = asyncio.Event(), asyncio.Event()
    next_round: asyncio.Queue[int] = asyncio.Queue()

    async def step() -> bool:
        rounds.append(len(rounds) + 1)
        if len(rounds) == 2:  # the second round is rung while it runs
            in_round.set()
            await let_go.wait()
        await next_round.put(len(rounds))
        return False  # nothing more: rest until the interval or a ring

    worker = asyncio.create_task(poll("test", step, interval_s=HOUR, stopping=stopping, wake=wake))
    assert await next_round.get() == 1
    wake.set()
    await in_round.wait()
    wake.set()  # work committed while round 2 runs: round 3 must follow without waiting an hour
    let_go.set()
    assert await next_round.get() == 2
    assert await next_round.get() == 3
    stopping.set()
    await worker
    assert rounds == [1, 2, 3]


async def test_stopping_ends_the_rest_at_once():
    stopping = asyncio.Event()
    rested = asyncio.Event()

    async def step() -> bool:
        rested.set()
        return False

    worker = asyncio.create_task(poll("test", step, interval_s=HOUR, stopping=stopping, wake=asyncio.Event()))
    await rested.wait()
    stopping.set()
    await worker
