"""How much GraphQL execution one worker runs at once, weighed by what each request costs.

A worker runs at most `slots` executions at once; a request takes one slot per `COST_PER_SLOT` of
its cost (`hub.api.limits`: 1 per field, times the enclosing lists' sizes), at least one and at most
half of them. The headline query (cost ~200) takes one slot; `people(ids:)` for 100 people with
the same selection (cost ~19,700) takes half, so two such run at once, or one beside small ones.
Requests are let in in arrival order: a wide one is never overtaken for ever by narrow ones.

Why weigh them: with eight 100-person executions interleaved on the general path, each cost ~30 %
more CPU than with four (measured 38-47 ms against 51-59 ms a request on one worker), and the
worker's memory grew with the peak of objects alive at once.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque

COST_PER_SLOT = 2_500  # a tenth of hub.api.limits.MAX_COST


class InFlight:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("at least one slot")
        self.slots = slots
        self.free = slots
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    def weight(self, cost: int) -> int:
        """The slots a request of this cost takes."""
        return min(max(1, self.slots // 2), max(1, math.ceil(cost / COST_PER_SLOT)))

    def running(self, cost: int) -> Running:
        """`async with in_flight.running(cost):` holds the request's slots for the block."""
        return Running(self, self.weight(cost))

    async def _acquire(self, weight: int) -> None:
        if not self._waiting and self.free >= weight:
            self.free -= weight
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((weight, turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # let in just as the client went away
                self._release(weight)
            else:
                turn.cancel()  # `_release` skips it
            raise

    def _release(self, weight: int) -> None:
        self.free += weight
        waiting = self._waiting
        while waiting:
            wanted, turn = waiting[0]
            if turn.cancelled():
                waiting.popleft()
                continue
            if wanted > self.free:
                break
            waiting.popleft()
            self.free -= wanted
            turn.set_result(None)


class Running:
    """A request's hold on its slots. A class rather than `@asynccontextmanager`: every request
    enters one, and the generator's steps cost more calls than these two methods."""

    __slots__ = ("_in_flight", "_weight")

    def __init__(self, in_flight: InFlight, weight: int) -> None:
        self._in_flight = in_flight
        self._weight = weight

    async def __aenter__(self) -> None:
        await self._in_flight._acquire(self._weight)

    async def __aexit__(self, *_: object) -> None:
        self._in_flight._release(self._weight)
