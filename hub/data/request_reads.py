"""One general-path request's loader batches, sent through one session per database (`RequestReads`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hub.contract.loading import Loads
from hub.data.row_source import KeyBatch, ReadSession, Row, RowSource

if TYPE_CHECKING:
    from aiodataloader import Loader

    from hub.data.batches import BatchLoader


class RequestReads:
    """One general-path request's loader batches, sent through one session (`RowSource.session()`)
    per database: on PostgreSQL one connection from the first statement to the end of the request,
    one statement at a time. The request's loaders queue their keys as graphql-core resolves a
    selection's fields and a list's items, before it waits on any; the batches of every loader that
    queued meanwhile then go together, in the order the loaders queued, from one task (`queue`):
    aiodataloader's two tasks per batch and a lock's turn per statement were 9 % of a headline
    request's instructions (callgrind, 16 concurrent). Each batch on a pooled connection of its own
    had cost a pool checkout and return per statement, where the compiled path and the floor R take
    one per request. `close()` when the request is done.

    With `stores` (`hub.data.sectors.Stores`), each sector's batches go to its own database within
    its budget, and a batch whose sector cannot be read fails with SECTOR_UNAVAILABLE; a sector
    with a database or a fault of its own is read apart from the others, so it fails alone."""

    __slots__ = ("_closed", "_queued", "_reading", "_sessions", "_source", "_stores", "_turns")

    def __init__(self, source: RowSource, stores: Any = None) -> None:
        self._source = source
        self._stores = stores
        self._sessions: dict[int, ReadSession] = {id(source): source.session()}
        self._turns: dict[int, asyncio.Lock] = {id(source): asyncio.Lock()}  # a connection runs one statement at a time
        self._closed = False
        self._queued: list[BatchLoader] = []
        self._reading: set[asyncio.Task[None]] = set()  # the loop holds tasks weakly

    def queue(self, loader: BatchLoader) -> None:
        if not self._queued:
            # Taken two turns of the loop later, as aiodataloader takes a queue: graphql-core may
            # complete one item of a list at once and start tasks for the others, whose keys
            # only come in the next turn.
            loop = asyncio.get_running_loop()
            loop.call_soon(loop.call_soon, self._dispatch)
        self._queued.append(loader)

    def _dispatch(self) -> None:
        loaders, self._queued = self._queued, []
        task = asyncio.ensure_future(self._send([(loader, loader.take()) for loader in loaders]))
        self._reading.add(task)
        task.add_done_callback(self._reading.discard)

    async def _send(self, queued: list[tuple[BatchLoader, list[Loader]]]) -> None:
        batches: list[KeyBatch] = [(loader.loads, [item.key for item in items]) for loader, items in queued]
        try:
            found = await self._read_all(batches)
        except BaseException:
            for loader, items in queued:
                loader.settle(items, RuntimeError("the read was cancelled"))
            raise
        for (loader, items), rows in zip(queued, found, strict=True):
            loader.settle(items, rows)

    async def _read_all(self, batches: list[KeyBatch]) -> list[Sequence[Row] | Exception]:
        stores = self._stores
        if stores is None:
            return await self._read_group(None, self._source, batches)
        groups: dict[str | None, list[int]] = {}
        for index, (loads, _) in enumerate(batches):
            sector = stores.sector_of(loads)
            apart = sector in stores.faults or stores.database(sector) is not stores.hub
            groups.setdefault(sector if apart else None, []).append(index)
        if len(groups) == 1:
            ((sector, _),) = groups.items()
            return await self._read_group(sector, stores.database(sector).rows, batches)
        found: list[Sequence[Row] | Exception] = [[] for _ in batches]
        results = await asyncio.gather(
            *(
                self._read_group(sector, stores.database(sector).rows, [batches[index] for index in indexes])
                for sector, indexes in groups.items()
            )
        )
        for indexes, rows in zip(groups.values(), results, strict=True):
            for index, one in zip(indexes, rows, strict=True):
                found[index] = one
        return found

    async def _read_group(
        self, sector: str | None, source: RowSource, batches: list[KeyBatch]
    ) -> list[Sequence[Row] | Exception]:
        """The batches of one sector (or of the sectors on the hub's database, `None`)."""
        stores = self._stores
        try:
            if stores is None:
                return list(await self._fetch(source, batches))
            async with stores.timeout():
                if sector is not None:
                    await stores.enter(sector)
                return list(await self._fetch(source, batches))
        except Exception as error:
            if stores is not None and stores.is_outage(error):
                return [stores.unavailable(stores.sector_of(loads)) for loads, _ in batches]
            if len(batches) == 1:
                return [error]
            # Only the failing batch's keys fail, as when each batch was sent on its own: the
            # others' fields still get their rows.
            return [await self._alone(source, one) for one in batches]

    async def _alone(self, source: RowSource, one: KeyBatch) -> Sequence[Row] | Exception:
        try:
            (found,) = await self._fetch(source, [one])
        except Exception as error:
            return error
        return found

    async def read_keys(self, loads: Loads[Any, Any], keys: Sequence[Any]) -> Sequence[Row]:
        (found,) = await self._read_all([(loads, keys)])
        if isinstance(found, Exception):
            raise found
        return found

    async def _fetch(self, source: RowSource, batches: list[KeyBatch]) -> list[Sequence[Row]]:
        key = id(source)
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = asyncio.Lock()
        async with turn:
            if not self._closed:
                session = self._sessions.get(key)
                if session is None:
                    session = self._sessions[key] = source.session()
                return await session.fetch(batches)
        # Batches dispatched after the request ended: graphql-core stops waiting for the rest of
        # a selection once an error nulls it, and those resolvers run on. A session of their
        # own, so nothing is left holding a connection.
        session = source.session()
        try:
            return await session.fetch(batches)
        finally:
            await session.close()

    async def close(self) -> None:
        self._closed = True
        for key, session in list(self._sessions.items()):
            async with self._turns[key]:  # never while a statement runs on the connection
                await session.close()
