"""The work a worker runs at once: weighed by cost, let in in arrival order, given back when done
or abandoned."""

from __future__ import annotations

import asyncio

import pytest

from hub.web.in_flight import InFlight

HEADLINE, WIDE = 198, 19_701  # the costs hub.api.limits gives the headline query and people(ids:) x100


def test_a_request_takes_slots_by_its_cost_at_least_one_at_most_half() -> None:
    bound = InFlight(8)
    assert [bound.weight(cost) for cost in (0, HEADLINE, 2_500, 2_501, WIDE, 25_000)] == [1, 1, 1, 2, 4, 4]
    assert InFlight(1).weight(WIDE) == 1


async def test_two_wide_requests_run_at_once_and_a_third_waits_for_one_to_end() -> None:
    bound, running, release = InFlight(8), [], asyncio.Event()

    async def request(name: str, cost: int) -> None:
        async with bound.running(cost):
            running.append(name)
            await release.wait()

    tasks = [asyncio.create_task(request(f"wide {n}", WIDE)) for n in range(3)]
    await asyncio.sleep(0)
    assert running == ["wide 0", "wide 1"] and bound.free == 0
    release.set()
    await asyncio.gather(*tasks)
    assert running == ["wide 0", "wide 1", "wide 2"] and bound.free == 8


async def test_a_waiting_wide_request_is_not_overtaken_by_narrow_ones_that_came_after_it() -> None:
    bound, order = InFlight(8), []
    gates = {name: asyncio.Event() for name in ("narrow 1", "wide", "narrow 2")}

    async def request(name: str, cost: int) -> None:
        async with bound.running(cost):
            order.append(name)
            await gates[name].wait()

    first = asyncio.create_task(request("narrow 1", HEADLINE))
    await asyncio.sleep(0)
    bound.free = 3  # as if other work held four more slots: the wide request (4) must wait
    wide = asyncio.create_task(request("wide", WIDE))
    second = asyncio.create_task(request("narrow 2", HEADLINE))
    await asyncio.sleep(0)
    assert order == ["narrow 1"]  # one slot is free, but the wide request came first
    bound.free += 4
    gates["narrow 1"].set()
    await first
    await asyncio.sleep(0)
    assert order == ["narrow 1", "wide", "narrow 2"]
    for gate in gates.values():
        gate.set()
    await asyncio.gather(wide, second)


async def test_a_request_abandoned_while_waiting_or_running_gives_its_slots_back() -> None:
    bound, hold = InFlight(2), asyncio.Event()

    async def request(cost: int) -> None:
        async with bound.running(cost):
            await hold.wait()

    running = [asyncio.create_task(request(HEADLINE)), asyncio.create_task(request(WIDE))]  # a slot each
    waiting = asyncio.create_task(request(HEADLINE))
    await asyncio.sleep(0)
    assert bound.free == 0
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert bound.free == 0
    for task in running:
        task.cancel()
    for task in running:
        with pytest.raises(asyncio.CancelledError):
            await task
    assert bound.free == 2
    async with bound.running(WIDE):  # and the bound still lets work in
        assert bound.free == 1
