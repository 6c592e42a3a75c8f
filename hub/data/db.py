"""Engines and the ways the hub touches a database: short reads, loaders' batches, atomic writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Executable, Row, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from hub.data.asyncpg_pool import LOOPBACK_HOSTS
from hub.data.asyncpg_rows import AsyncpgRowSource
from hub.data.files import private_file
from hub.data.row_source import CoreRowSource, RowSource, Statements
from hub.data.sqlite_rows import Sqlite3RowSource


def stored_utc(value: dt.datetime) -> dt.datetime:
    """A datetime stored as UTC, as read back: SQLite hands it back naive."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Budgets:
    """How long a database may keep the hub waiting, in seconds (RABT_CONNECT_TIMEOUT,
    RABT_POOL_TIMEOUT, RABT_STATEMENT_TIMEOUT): a database that stops answering fails a request's
    reads within these instead of holding them until the client gives up."""

    connect: float = 2.0
    pool: float = 2.0
    statement: float = 5.0

    def server_settings(self) -> dict[str, str]:
        """PostgreSQL's own limits per session: a statement (or a wait on a lock) past the budget
        is cancelled by the server even when the client has gone."""
        milliseconds = str(int(self.statement * 1000))
        return {"statement_timeout": milliseconds, "lock_timeout": milliseconds}


def engine_options(url: URL, budgets: Budgets | None = None) -> dict[str, Any]:
    """What every engine on `url` is created with, whatever its pool. A statement's parameters (IDs,
    names) are never rendered into an error's message, which may end up in a log line. Without
    `budgets` (migrations, seeding, tools) no statement is cut short."""
    if url.get_backend_name() == "sqlite":
        # The busy timeout: how long a write waits for another connection's write lock. Writers take
        # turns on SQLite's one lock, so the wait is bounded by the request's deadline rather than
        # the statement budget: a mutation queued behind a few others is not an outage.
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT}, "hide_parameters": True}
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "asyncpg":
        return {"hide_parameters": True}
    connect_args: dict[str, Any] = {}
    if budgets is not None:
        connect_args.update(
            timeout=budgets.connect, command_timeout=budgets.statement, server_settings=budgets.server_settings()
        )
    if url.host in LOOPBACK_HOSTS and "ssl" not in url.query:
        # asyncpg tries TLS first by default; on loopback that is a wasted handshake per connection.
        connect_args["ssl"] = False
    return {"connect_args": connect_args, "hide_parameters": True} if connect_args else {"hide_parameters": True}


SQLITE_BUSY_TIMEOUT = 30.0  # seconds, as the audit's own appender waits (hub.audit.sqlite_appender)
INVALID_CATALOG_NAME = "3D000"  # PostgreSQL's SQLSTATE for "database ... does not exist"
READ_POOL = 24
"""Read connections per process. A request runs one statement per loader at once; overflow
connections are closed on return and reopened (measured: a fifth of the headline query's time
went to reconnecting with the default 5 + 10 overflow), so the pool is fixed and large enough."""


class Database:
    """One engine for writes (a transaction each) and one in AUTOCOMMIT mode for reads.

    Reads need no BEGIN/ROLLBACK around a single SELECT; measured, those two statements were a
    visible share of a small query's cost, and an engine created in AUTOCOMMIT is ~20 % cheaper per
    statement than switching the isolation level at every checkout. Each loader batch takes a
    connection for one statement only: an AsyncSession must never be shared by concurrent tasks.
    """

    def __init__(self, url: str, budgets: Budgets | None = None) -> None:
        self.url = make_url(url)
        self.budgets = budgets
        if self.is_sqlite and self.url.database and self.url.database != ":memory:":
            private_file(Path(self.url.database))
        options = engine_options(self.url, self.budgets)
        in_memory = self.is_sqlite and self.url.database in (None, "", ":memory:")
        if not in_memory:
            # A pooled connection the database dropped (a restart) is found and replaced at
            # checkout, before a request's statement fails on it.
            options.update(pool_pre_ping=True, pool_timeout=budgets.pool if budgets else 30.0)
        self.engine: AsyncEngine = create_async_engine(url, **options)
        pool = {} if in_memory else {"pool_size": READ_POOL, "max_overflow": 0}
        self.read_engine: AsyncEngine = create_async_engine(url, isolation_level="AUTOCOMMIT", **pool, **options)
        if self.is_sqlite:
            for engine in (self.engine, self.read_engine):
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._listeners: list[Callable[..., None]] = []
        self._rows: RowSource | None = None

    @property
    def rows(self) -> RowSource:
        """The loaders' statements straight through the driver where the database allows it."""
        if self._rows is None:
            self._rows = row_source_for(self)
        return self._rows

    def on_statement(self, listener: Callable[..., None]) -> Callable[[], None]:
        """Calls `listener` before every statement either engine or the driver path sends, with
        SQLAlchemy's `before_cursor_execute` arguments; returns what removes it."""
        engines = [self.engine.sync_engine, self.read_engine.sync_engine]
        for engine in engines:
            event.listen(engine, "before_cursor_execute", listener)
        self._listeners.append(listener)

        def remove() -> None:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", listener)
            self._listeners.remove(listener)

        return remove

    @property
    def listening(self) -> bool:
        return bool(self._listeners)

    def sent_by_driver(self, statement: str, parameters: Sequence[Any]) -> None:
        for listener in self._listeners:
            listener(None, None, statement, parameters, None, False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    async def fetch(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Sequence[Row[Any]]:
        async with self.read_engine.connect() as connection:
            result = await connection.execute(statement, parameters)
            return result.all()

    async def ping(self) -> None:
        async with self.read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One session, one transaction: committed when the block ends, rolled back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.begin() as connection:
            yield connection

    async def create_if_missing(self) -> bool:
        """Creates a PostgreSQL database that does not exist yet (through the server's `postgres`
        database, as `createdb` does); True when it did. A new operator's first `seed` or `bench`
        should not end in a stack trace for want of one `createdb`."""
        if self.url.get_backend_name() != "postgresql":
            return False
        from sqlalchemy.exc import DBAPIError

        try:
            await self.ping()
            return False
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != INVALID_CATALOG_NAME or not self.url.database:
                raise
        await self.read_engine.dispose()  # forget the failed attempt's pool
        server = Database(self.url.set(database="postgres").render_as_string(hide_password=False))
        try:
            name = self.url.database.replace('"', '""')
            async with server.read_engine.connect() as connection:  # CREATE DATABASE cannot run in a transaction
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await server.dispose()
        return True

    def pool_use(self) -> list[tuple[str, str, int]]:
        """(pool, state, connections) of this process's pools, for the metrics."""
        use = []
        for name, engine in (("write", self.engine), ("read", self.read_engine)):
            pool: Any = engine.pool
            if hasattr(pool, "checkedout"):
                use += [(name, "in_use", pool.checkedout()), (name, "idle", pool.checkedin())]
        driver = getattr(self._rows, "_pool", None)
        if driver is not None:
            idle = driver.get_idle_size()
            use += [("driver", "in_use", driver.get_size() - idle), ("driver", "idle", idle)]
        return use

    async def dispose(self) -> None:
        if self._rows is not None:
            await self._rows.aclose()
        await self.engine.dispose()
        await self.read_engine.dispose()


def row_source_for(db: Statements, mode: str = "driver") -> RowSource:
    """`driver`: straight through the driver where the database allows it; `core`: Database.fetch."""
    url = db.url
    if mode == "driver" and not url.query:
        if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
            return AsyncpgRowSource(db)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Sqlite3RowSource(db, url.database)
    return CoreRowSource(db)


SQLITE_WRITER_PRAGMAS = (
    "PRAGMA synchronous=NORMAL",
    # A checkpoint every 4,000 pages of WAL (16 MB) instead of 1,000: an audit append for 100 people
    # dirties ~100 pages of the per-person index, and a page written again before the checkpoint is
    # copied back once. Measured: 1,900 -> 1,360-1,470 µs of CPU an append (scratch script).
    "PRAGMA wal_autocheckpoint=4000",
)
"""What every connection that may write sets: the checkpoint threshold is per connection, and
whichever connection commits past it checkpoints."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while the one writer commits; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    for pragma in SQLITE_WRITER_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()
