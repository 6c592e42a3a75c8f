"""Where a kept notice is pushed to the person's open subscriptions.

In one process (no RABT_REDIS_URL) a notice goes straight to the subscriptions of this process.
With several workers a notice is published on the person's Redis channel and every worker's
subscriptions for that person receive it, whichever worker kept it. A notice is pushed only after
the transaction that kept it committed; one that cannot be pushed (Redis away) is still in the
person's inbox (`me { notifications }`), so the push is best effort and the inbox the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from redis.asyncio import Redis

from hub.notifications.notices import Notice

log = logging.getLogger("rabt.notifications")
QUEUE = 100
"""Notices a slow subscriber may fall behind by before the oldest are dropped (the inbox keeps them)."""


class Bus(Protocol):
    async def publish(self, notices: Sequence[Notice]) -> None: ...

    def subscribe(self, person_id: str) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Notice]]:
        """The person's notices from now on, for as long as the block lasts: subscribed when the
        block is entered, so nothing published after that is missed."""
        ...

    async def aclose(self) -> None: ...


class LocalBus:
    """This process's subscriptions, by person."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Notice]]] = {}

    async def publish(self, notices: Sequence[Notice]) -> None:
        for notice in notices:
            self.deliver(notice)

    def deliver(self, notice: Notice) -> None:
        for queue in self._queues.get(notice.person_id, ()):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(notice)

    @contextlib.asynccontextmanager
    async def subscribe(self, person_id: str) -> AsyncIterator[AsyncIterator[Notice]]:
        queue: asyncio.Queue[Notice] = asyncio.Queue(QUEUE)
        self._queues.setdefault(person_id, set()).add(queue)
        try:
            yield _drain(queue)
        finally:
            queues = self._queues.get(person_id, set())
            queues.discard(queue)
            if not queues:
                self._queues.pop(person_id, None)

    async def aclose(self) -> None:
        self._queues.clear()


async def _drain(queue: asyncio.Queue[Notice]) -> AsyncIterator[Notice]:
    while True:
        yield await queue.get()


class RedisBus:
    """Notices on Redis pub/sub, one channel per person (`<prefix>:<person ID>`). Each open
    subscription holds one Redis connection for its person's channel: simple, and enough for the
    hub's scale; many thousands of subscribers per worker would want one shared connection."""

    def __init__(self, url: str, prefix: str = "rabt:notifications") -> None:
        self._redis: Redis = Redis.from_url(url)
        self._prefix = prefix

    def channel(self, person_id: str) -> str:
        return f"{self._prefix}:{person_id}"

    async def publish(self, notices: Sequence[Notice]) -> None:
        for notice in notices:
            await self._redis.publish(self.channel(notice.person_id), notice.to_json())

    @contextlib.asynccontextmanager
    async def subscribe(self, person_id: str) -> AsyncIterator[AsyncIterator[Notice]]:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(self.channel(person_id))
            # Wait for Redis to confirm: from then on every publish on the channel reaches us.
            if await pubsub.get_message(timeout=5.0) is None:
                raise ConnectionError("Redis did not confirm the subscription")
            yield _listen(pubsub)
        finally:
            await pubsub.aclose()

    async def aclose(self) -> None:
        await self._redis.aclose()


async def _listen(pubsub: object) -> AsyncIterator[Notice]:
    async for message in pubsub.listen():  # type: ignore[attr-defined]
        if message.get("type") == "message":
            try:
                yield Notice.from_json(message["data"])
            except (ValueError, TypeError, KeyError):
                log.warning("dropped a malformed notice on %s", message.get("channel"))


def bus_for(redis_url: str | None) -> Bus:
    return RedisBus(redis_url) if redis_url else LocalBus()


async def publish_quietly(bus: Bus, notices: Sequence[Notice]) -> None:
    """Pushes committed notices; a failure is logged, never raised: the write it follows is done."""
    if not notices:
        return
    try:
        await bus.publish(notices)
    except Exception:
        log.warning("could not push %d notices; they are in the inbox", len(notices), exc_info=True)
