"""A request's loaders at run time: each `Loads` declaration batched per request, its batch
sent through the request's reads (`hub.data.request_reads.RequestReads`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from aiodataloader import DataLoader, Loader, failed_dispatch

from hub.contract.loading import Loads


class KeyReads(Protocol):
    """Where a request's loaders send their batches (`hub.data.request_reads.RequestReads`)."""

    def queue(self, loader: BatchLoader) -> None:
        """`loader` has keys waiting: send its batch, with those of the loaders that queue meanwhile."""

    async def read_keys(self, loads: Loads[Any, Any], keys: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """One batch alone: its one statement for these keys."""


class BatchLoader(DataLoader[Any, Any]):
    """A request's loader of one `Loads`. aiodataloader sends each batch from two tasks of its own
    (a dispatch, then the batch); here the loader hands its queue to the request's reads instead,
    which send the batches of every loader that queued meanwhile from one task, in turn on the
    request's connection (`RequestReads.queue`). Its cache and its `load` are aiodataloader's."""

    def __init__(self, loads: Loads[Any, Any], reads: KeyReads) -> None:
        super().__init__(loop=asyncio.get_running_loop())
        self.loads = loads
        self._reads = reads

    @staticmethod
    def get_cache_key(key: Any) -> Any:
        return key

    def do_resolve_reject(self, key: Any, future: asyncio.Future[Any]) -> None:
        self._queue.append(Loader(key=key, future=future))
        if len(self._queue) == 1:
            self._reads.queue(self)

    def take(self) -> list[Loader]:
        """The keys queued so far, with their futures; the queue starts again empty."""
        queue, self._queue = self._queue, []
        return queue

    def settle(self, queue: Sequence[Loader], rows: Sequence[Sequence[Any]] | BaseException) -> None:
        """Each queued future gets its value from the batch's rows, or the batch's error (and,
        as aiodataloader does, its key leaves the cache, so a later load asks again)."""
        if not isinstance(rows, BaseException):
            try:
                values = self.values([queued.key for queued in queue], rows)
            except Exception as error:  # a value no record takes: these fields fail, not the request
                rows = error
            else:
                for queued, value in zip(queue, values, strict=True):
                    if not queued.future.done():
                        queued.future.set_result(value)
                return
        failed_dispatch(self, list(queue), rows)  # type: ignore[arg-type]

    async def batch_load_fn(self, keys: Sequence[Any]) -> list[Any]:
        """DataLoader's contract (what `dispatch_queue` would call): one batch read alone."""
        return self.values(keys, await self._reads.read_keys(self.loads, keys))

    def values(self, keys: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[Any]:
        """The value of each key in `keys` (distinct) from the batch's rows: column 0 is the key."""
        groups: dict[Any, list[Any]] = {key: [] for key in keys}
        build, fields = self.loads.record, self.loads.fields
        for row in rows:
            values: dict[str, Any] = {}
            for position, name, converter in fields:
                value = row[position]
                values[name] = converter(value) if converter is not None and value is not None else value
            groups[row[0]].append(build(**values))
        if self.loads.many:
            return [groups[key] for key in keys]
        return [(groups[key] or [None])[0] for key in keys]
