"""Writing requests' audit records to the chain, once each request is done (`AuditWriter`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from functools import partial

from sqlalchemy.exc import IntegrityError

from hub.audit.chain import Pending, pending_record
from hub.audit.entries import AuditBatch
from hub.audit.optimistic_appender import AsyncpgChain, CoreChain, OptimisticAppender
from hub.audit.sqlite_appender import SqliteAppender
from hub.contract.principal import Principal
from hub.data.asyncpg_rows import AsyncpgRowSource
from hub.data.db import Database
from hub.data.sqlite_rows import Sqlite3RowSource
from hub.telemetry import metrics, traces


class AuditWriter:
    """Appends requests' batches to the chain, group-committed: while one append is being written,
    the batches that arrive meanwhile wait and go together in the next append, so the chain's
    serial section is paid once per group instead of once per request. Each request still returns
    only after its own rows are committed. In this process one writer task appends at a time. A
    group whose append fails is appended again record by record: a record the database refuses
    (a value too long for its column, a NUL PostgreSQL cannot store) fails its own request alone.

    Across processes on PostgreSQL, appends are optimistic (hub/audit/optimistic_appender.py); in
    a SQLite file they take its write lock (hub/audit/sqlite_appender.py).

    An append writes the records alone; `on_append` (the subject indexer's nudge) is called after
    each, and the index rows follow in bulk (hub/audit/index.py)."""

    def __init__(self, db: Database, on_append: Callable[[], None] | None = None) -> None:
        self._db = db
        self._on_append = on_append
        self._waiting: list[tuple[Pending, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._sqlite: SqliteAppender | None = None
        self._optimistic = OptimisticAppender()

    async def write(self, batch: AuditBatch, principal: Principal, request_id: str, operation: str | None) -> int:
        if not batch.entries:
            return 0
        record = pending_record(batch, principal, request_id, operation)
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((record, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups())
        # A client that goes away cancels only this future: the append is the writer task's, and
        # the writer skips futures already done.
        tracer = traces.tracer()
        if tracer is None:
            await written
        else:  # the request's span: from its record's arrival to its group's commit
            with tracer.start_as_current_span(
                "audit append", attributes={"rabt.audit.entries": len(batch.entries)}
            ) as span:
                await written
                span.set_attribute("rabt.audit.group_size", record.group)
        return len(batch.entries)

    async def _write_groups(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                await self._append([record for record, _ in group])
            except Exception as error:
                if len(group) == 1:
                    _settle(group, error)
                else:
                    await self._append_each(group)
            except BaseException as error:  # every waiting request learns that its record was not written
                _settle(group, error)
                raise
            else:
                _settle(group, None)
            if self._on_append is not None:
                self._on_append()

    async def _append_each(self, group: list[tuple[Pending, asyncio.Future[None]]]) -> None:
        """Appends a group's records one by one after the group's append failed, so that a record
        the database refuses fails its own request only (an append is one statement: nothing of
        the group was written)."""
        for index, one in enumerate(group):
            try:
                await self._append([one[0]])
            except Exception as error:
                _settle([one], error)
            except BaseException as error:
                _settle(group[index:], error)
                raise
            else:
                _settle([one], None)

    async def _append(self, pending: list[Pending]) -> None:
        started = time.perf_counter()
        try:
            await self._append_group(pending)
        except BaseException:
            metrics.AUDIT_ERRORS.inc()
            raise
        metrics.AUDIT_SECONDS.observe(time.perf_counter() - started)
        metrics.AUDIT_GROUP.observe(len(pending))
        for one in pending:
            one.group = len(pending)

    async def _append_group(self, pending: list[Pending]) -> None:
        rows = self._db.rows
        if isinstance(rows, Sqlite3RowSource):
            if self._sqlite is None:
                self._sqlite = SqliteAppender(self._db, rows.path)
            await self._sqlite.append(pending)
        elif isinstance(rows, AsyncpgRowSource):
            import asyncpg

            await self._optimistic.append(
                pending, partial(AsyncpgChain.on, self._db, rows), asyncpg.UniqueViolationError
            )
        else:
            await self._optimistic.append(pending, partial(CoreChain.on, self._db), IntegrityError)

    async def aclose(self) -> None:
        """Closes what the writer holds outside the hub's pools (the app's lifespan calls it)."""
        if self._sqlite is not None:
            appender, self._sqlite = self._sqlite, None
            await appender.aclose()


def _settle(group: Sequence[tuple[Pending, asyncio.Future[None]]], error: BaseException | None) -> None:
    """Tells each waiting request of the group whether its record was written (None) or not."""
    for _, written in group:
        if not written.done():  # a client that went away cancelled its own
            if error is None:
                written.set_result(None)
            else:
                written.set_exception(error)
