"""Appending to the chain in a SQLite file, with the stdlib driver (`SqliteAppender`)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from hub.audit.chain import TIP, Pending, chained, tip_of
from hub.audit.records import AuditRecord
from hub.data.db import SQLITE_WRITER_PRAGMAS, Database

log = logging.getLogger("rabt.audit")

CHECKPOINT_EVERY = 1.0  # seconds: the WAL grows by at most a second of appends between checkpoints


class SqliteAppender:
    """SQLite file: each append with the stdlib driver, on the event loop when SQLite's write lock
    is free at once, otherwise in a worker thread that waits for it. A mutation's open transaction
    holds the lock across awaits: waiting for it on the loop would stop the loop that must finish
    that mutation, so the loop's connection never waits (busy timeout 0) and hands the append to
    the thread's (30 s). Through aiosqlite and SQLAlchemy an append was five hops to aiosqlite's
    thread; one hop to a thread of our own for every append still cost a served headline request
    ~150 µs of CPU (427 against 277 µs with the append on the loop, in one interleaved run),
    twice the append's own work.

    The loop's connection never checkpoints (a checkpoint copies pages back and syncs the file):
    at most once a second, after an append, the thread's connection runs a passive checkpoint."""

    def __init__(self, db: Database, path: str) -> None:
        self._db = db
        self._path = path
        self._on_loop: sqlite3.Connection | None = None
        self._in_thread: sqlite3.Connection | None = None
        self._thread_lock = threading.Lock()  # the append that waits and the checkpoint share its connection
        self._checkpoint: asyncio.Future[None] | None = None
        self._checkpointed_at = 0.0
        dialect = db.engine.dialect
        self._insert = _positional_insert(AuditRecord.__table__, dialect)

    async def append(self, pending: list[Pending]) -> None:
        if self._db.listening:  # on the loop, as the other statements are reported
            self._db.sent_by_driver(TIP, ())
            self._db.sent_by_driver(self._insert[0], ())
        if self._on_loop is None:
            self._on_loop = self._connect(timeout=0, pragmas=(*SQLITE_WRITER_PRAGMAS, "PRAGMA wal_autocheckpoint=0"))
        try:
            self._append(self._on_loop, pending)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            await asyncio.to_thread(self._append_waiting, pending)
        self._checkpoint_soon()

    def _connect(self, *, timeout: float, pragmas: Sequence[str]) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, timeout=timeout, isolation_level=None, check_same_thread=False)
        for pragma in pragmas:
            connection.execute(pragma)
        return connection

    def _thread_connection(self) -> sqlite3.Connection:
        if self._in_thread is None:
            self._in_thread = self._connect(timeout=30, pragmas=SQLITE_WRITER_PRAGMAS)  # as the hub's others
        return self._in_thread

    def _append_waiting(self, pending: list[Pending]) -> None:
        with self._thread_lock:
            self._append(self._thread_connection(), pending)

    def _append(self, connection: sqlite3.Connection, pending: list[Pending]) -> None:
        connection.execute("BEGIN IMMEDIATE")  # the write lock first: the tip cannot move under us
        try:
            records = chained(pending, tip_of(connection.execute(TIP).fetchone()))
            sql, columns, convert = self._insert
            connection.executemany(sql, [[convert(name, row[name]) for name in columns] for row in records])
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _checkpoint_soon(self) -> None:
        now = time.monotonic()
        if now - self._checkpointed_at < CHECKPOINT_EVERY or not (self._checkpoint is None or self._checkpoint.done()):
            return
        self._checkpointed_at = now
        self._checkpoint = asyncio.ensure_future(asyncio.to_thread(self._checkpoint_now))
        self._checkpoint.add_done_callback(_log_failed_checkpoint)

    def _checkpoint_now(self) -> None:
        with self._thread_lock:
            self._thread_connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def aclose(self) -> None:
        if self._checkpoint is not None:
            await asyncio.wait([self._checkpoint])
        await asyncio.to_thread(self._close_connections)

    def _close_connections(self) -> None:
        with self._thread_lock:  # after any append still waiting in its thread
            for connection in (self._on_loop, self._in_thread):
                if connection is not None:
                    connection.close()
            self._on_loop = self._in_thread = None


def _log_failed_checkpoint(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:  # the next one tries again
        log.warning("audit: a WAL checkpoint failed", exc_info=done.exception())


def _positional_insert(table: Any, dialect: Any) -> tuple[str, list[str], Callable[[str, Any], Any]]:
    """An INSERT's SQL text as SQLAlchemy sends it to SQLite, its parameters' column order, and a
    converter of values to what SQLAlchemy would bind (datetimes as SQLite text)."""
    compiled = table.insert().compile(dialect=dialect)
    columns = list(compiled.positiontup or ())
    processors = {
        column.name: processor
        for column in table.columns
        if (processor := column.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }

    def convert(name: str, value: Any) -> Any:
        processor = processors.get(name)
        return processor(value) if processor is not None and value is not None else value

    return str(compiled), columns, convert
