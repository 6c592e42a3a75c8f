"""The per-person index of the audit trail (`audit_subjects`): derived data, written after the commit.

An answer waits for its chained record (`audit_trail`) to be durable, not for the index: the
`SubjectIndexer` derives the index rows of every record the index does not cover yet, in bulk, in
one transaction a round, after the appends that nudge it (and at least every `every` seconds, for
records other processes appended). Measured against writing each record's index rows in the
append's own statement: see docs/performance.md.

The index covers a prefix of the chain: its *mark* is the highest record id it holds. A round
indexes records in id order and commits them with their index rows at once, and ids are committed
in order (an append links after the committed tip), so every record at or below the mark is
indexed and none above it is. Readers of a person's records (`touching`) read the index up to the
mark and the records above it (the unindexed tail, short: what arrived since the last round)
directly, in one statement, so a read shows in the person's log as soon as its answer was sent.
After a crash (SIGKILL) nothing is lost: the records are the truth, and the first round at start
indexes what the index lacks. `verify_chain` checks the index against the records up to the mark
and reports the tail as the index's lag.

Only a part that may read the trail's entries runs an indexer (the all-in-one hub, the identity
subgraph): a sector's database role appends records and reads none. On PostgreSQL concurrent
indexers (uvicorn workers) take turns through a transaction-level advisory lock; on SQLite the
round's transaction takes the write lock first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert

from hub.audit.entries import others_of, stored_groups
from hub.audit.reading import mark
from hub.audit.records import INDEXED, AuditRecord, AuditSubject
from hub.data.asyncpg_rows import AsyncpgRowSource
from hub.data.db import SQLITE_WRITER_PRAGMAS, Database
from hub.data.sqlite_rows import Sqlite3RowSource

log = logging.getLogger("rabt.audit")

BATCH = 2_000  # records a round indexes at most (a round's statement stays small)
ADVISORY_KEY = 0x7261_6274_6964_78  # "rabtidx": one indexer of the chain at a time across processes
DELAY = 0.05  # seconds a round waits after a nudge, gathering the appends that follow into one
EVERY = 1.0  # seconds between rounds without a nudge (other processes' appends)

_trail, _index = AuditRecord.__table__, AuditSubject.__table__


def _index_rows(records: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        dict(zip(INDEXED, (subject, record.id, someone_else), strict=True))
        for record in records
        for subject, someone_else in others_of(stored_groups(record.entries)).items()
    ]


class SubjectIndexer:
    """Keeps `audit_subjects` up with `audit_trail` (see the module's docstring). `nudge()` after an
    append; `catch_up()` indexes everything now (at start, at shutdown, in tests)."""

    def __init__(self, db: Database, *, delay: float = DELAY, every: float = EVERY, batch: int = BATCH) -> None:
        self._db = db
        self._delay, self._every, self._batch = delay, every, batch
        self._nudged = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sqlite: sqlite3.Connection | None = None
        # A round runs in a thread that cancelling its awaiting task does not stop: the next round,
        # and closing the connection, wait for it here, or two threads would share (and one free) it.
        self._sqlite_lock = threading.Lock()

    def nudge(self) -> None:
        self._nudged.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="audit subject indexer")

    async def catch_up(self) -> int:
        """Indexes every record above the mark; how many it indexed."""
        total = 0
        while True:
            done = await self._round()
            total += done
            if done < self._batch:
                return total

    async def aclose(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):  # what is left is indexed at the next start
            await self.catch_up()
        await asyncio.to_thread(self._close_sqlite)

    def _close_sqlite(self) -> None:
        with self._sqlite_lock:
            if self._sqlite is not None:
                connection, self._sqlite = self._sqlite, None
                connection.close()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):  # no inner task, as wait_for makes: cancelled at once
                async with asyncio.timeout(self._every):
                    await self._nudged.wait()
            await asyncio.sleep(self._delay)  # the appends right behind this one go in the same round
            self._nudged.clear()
            try:
                await self.catch_up()
            except Exception:  # the next round tries again; the records are safe, readers read the tail
                log.warning("audit: indexing the subjects failed", exc_info=True)

    async def _round(self) -> int:
        # Through the driver where the hub has it, as the appends are: a round's statements are the
        # background's, not shown to statement listeners (a request's count stays its own).
        rows = self._db.rows
        if isinstance(rows, Sqlite3RowSource):
            return await asyncio.to_thread(self._round_sqlite, rows.path)
        if isinstance(rows, AsyncpgRowSource):
            return await self._round_asyncpg(rows)
        return await self._round_core()

    async def _round_asyncpg(self, rows: AsyncpgRowSource) -> int:
        async with rows.connection() as connection, connection.transaction():
            if not await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", ADVISORY_KEY):
                return 0  # another process is indexing this very range
            records = [_Stored(row["id"], row["entries"]) for row in await connection.fetch(_UNINDEXED, self._batch)]
            found = _index_rows(records)
            if found:
                await connection.execute(_INSERT_JSON, orjson.dumps(found).decode())
            return len(records)

    async def _round_core(self) -> int:
        async with self._db.connect() as connection:
            if connection.dialect.name == "postgresql":
                taken = await connection.scalar(select(func.pg_try_advisory_xact_lock(literal(ADVISORY_KEY))))
                if not taken:
                    return 0  # another process is indexing this very range
            records = (
                await connection.execute(
                    select(_trail.c.id, _trail.c.entries)
                    .where(_trail.c.id > mark())
                    .order_by(_trail.c.id)
                    .limit(self._batch)
                )
            ).all()
            rows = _index_rows(records)
            if rows:
                # PostgreSQL: an indexer that took the lock late may meet rows a round before it wrote.
                insert = (
                    postgresql_insert(_index).on_conflict_do_nothing()
                    if connection.dialect.name == "postgresql"
                    else _index.insert()
                )
                await connection.execute(insert, rows)
            return len(records)

    def _round_sqlite(self, path: str) -> int:
        with self._sqlite_lock:
            return self._round_sqlite_locked(path)

    def _round_sqlite_locked(self, path: str) -> int:
        if self._sqlite is None:
            self._sqlite = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            for pragma in SQLITE_WRITER_PRAGMAS:
                self._sqlite.execute(pragma)
        connection = self._sqlite
        connection.execute("BEGIN IMMEDIATE")  # the write lock first: the mark cannot move under us
        try:
            records = connection.execute(_UNINDEXED.replace("$1", "?"), (self._batch,)).fetchall()
            rows = _index_rows([_Stored(id_, entries) for id_, entries in records])
            connection.executemany(
                f"INSERT OR IGNORE INTO {_index.name} ({', '.join(INDEXED)}) VALUES (?, ?, ?)",
                [tuple(row[name] for name in INDEXED) for row in rows],
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return len(records)


# The rows as one JSON text, as the appends send theirs: orjson writes it in C, where three array
# parameters cost asyncpg a Python-level check per element (four a person indexed).
_INSERT_JSON = (
    f"INSERT INTO {_index.name} ({', '.join(INDEXED)}) SELECT {', '.join(INDEXED)} "
    f"FROM json_populate_recordset(NULL::{_index.name}, $1::json) ON CONFLICT DO NOTHING"
)

_UNINDEXED = (
    f"SELECT id, entries FROM {_trail.name} WHERE id > (SELECT coalesce(max(audit_id), 0) FROM {_index.name}) "
    "ORDER BY id LIMIT $1"
)


@dataclass(frozen=True)
class _Stored:
    id: int
    entries: str
