"""Where the loaders' rows come from: their own statements (`Loads.for_keys`), for both paths.

- `Rows.session()`: one request's statements: the compiled path's in phases (the identity rows,
  then the sectors'); the general path's as its DataLoaders queue keys, the batches of the loaders
  that queued together sent together (`RequestReads`).

Three ways to send them, the same SQL text each way:
- `CoreRows`: through the hub's `Database.fetch` (SQLAlchemy Core, an AUTOCOMMIT connection per
  statement). Correct on every database; the reference, and what an unusual URL gets.
- `AsyncpgRows` (PostgreSQL): the statement compiled once per (loader, number of keys) to the text
  SQLAlchemy sends, then sent with asyncpg. A session holds one connection from its first
  statement to its last, the statements in turn (never two at once on a connection). The
  connections come from a fixed asyncpg pool: taking them from SQLAlchemy's pool (5 + 10
  overflow) under 16 concurrent requests opened and closed overflow connections all the time.
  Measured through SQLAlchemy Core, the same six statements ran at 0.16 of the driver's rate.
- `Sqlite3Rows` (SQLite file): the stdlib `sqlite3` module on the event loop, one connection in
  autocommit mode. A statement on an indexed local file takes tens of microseconds, less than one
  hop to aiosqlite's thread costs (as the bench's floor does).
Column values are converted with the dialect's SQLAlchemy result processors (SQLite stores dates
as text), so rows hold what `Database.fetch` returns. Statements sent through a driver are shown
to `Database.on_statement` listeners as SQLAlchemy's events show the others.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Executable
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.loading import Loads
from hub.telemetry.traces import batch

if TYPE_CHECKING:
    from aiodataloader import Loader

    from hub.data.batches import BatchLoader


class Statements(Protocol):
    """What the row sources use of the hub's `Database` (hub.data.db), which builds them."""

    url: URL
    engine: AsyncEngine
    budgets: Any  # hub.data.db.Budgets | None: connect, pool and statement timeouts

    @property
    def listening(self) -> bool: ...

    async def fetch(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Sequence[Any]: ...

    def sent_by_driver(self, statement: str, parameters: Any) -> None: ...


Row = Sequence[Any]
Batch = tuple[Loads[Any, Any], Sequence[Any]]
POOL_SIZE = 15  # as many as SQLAlchemy's default pool may open (5 + 10 overflow)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class Session:
    """One request's statements. `close()` releases what the session holds."""

    async def fetch(self, batches: Sequence[Batch]) -> list[Sequence[Row]]:
        raise NotImplementedError

    async def close(self) -> None:
        return None


class Rows:
    """Where loaders' rows come from; `statements` counts the statements sent (tests, benchmark)."""

    def __init__(self, db: Statements) -> None:
        self.db = db
        self.statements = 0

    def session(self) -> Session:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Releases what this object holds outside the hub's own pools."""


class CoreRows(Rows, Session):
    def session(self) -> Session:
        return self

    async def _read(self, loads: Loads[Any, Any], keys: Sequence[Any]) -> Sequence[Row]:
        self.statements += 1
        with batch(loads.table.name, len(keys)):
            return await self.db.fetch(loads.keyed, {"keys": list(keys)})

    async def fetch(self, batches: Sequence[Batch]) -> list[Sequence[Row]]:
        if len(batches) == 1:
            return [await self._read(*batches[0])]
        # Each on its own connection (Database.fetch checks one out per statement).
        return list(await asyncio.gather(*(self._read(loads, keys) for loads, keys in batches)))


class NotPlain(Exception):
    """A statement with bound values other than its keys: sent through Database.fetch instead."""


class Compiled:
    """One loader's statement for a number of keys: its text, where each key goes, the converters."""

    __slots__ = ("positions", "processors", "sql")

    def __init__(self, loads: Loads[Any, Any], count: int, dialect: Dialect) -> None:
        sentinels = [f"\x00key{index}" for index in range(count)]
        statement = loads.for_keys(sentinels)
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        index = {sentinel: position for position, sentinel in enumerate(sentinels)}
        positions: list[int] = []
        for name in compiled.positiontup or ():
            value = compiled.params[name]
            if value not in index:
                raise NotPlain(f"a bound value other than the keys in {loads.table.name}")
            positions.append(index[value])
        if sorted(positions) != list(range(count)):
            raise NotPlain(f"keys not bound once each in {loads.table.name}")
        self.sql = str(compiled)
        self.positions = positions
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in statement.selected_columns
        ]
        self.processors: list[tuple[int, Callable[[Any], Any]]] | None = [
            (position, processor) for position, processor in enumerate(processors) if processor is not None
        ] or None

    def arguments(self, keys: Sequence[Any]) -> list[Any]:
        return [keys[position] for position in self.positions]

    def convert(self, rows: Sequence[Row]) -> Sequence[Row]:
        processors = self.processors
        if processors is None:
            return rows
        converted = []
        for row in rows:
            values = list(row)
            for position, processor in processors:
                value = values[position]
                if value is not None:
                    values[position] = processor(value)
            converted.append(values)
        return converted


class _DriverRows(Rows):
    """The statement texts, compiled once per (loader, key count), shared by the driver modes."""

    def __init__(self, db: Statements) -> None:
        super().__init__(db)
        self.core = CoreRows(db)
        self._texts: dict[tuple[int, int], Compiled | None] = {}

    def compiled(self, batches: Sequence[Batch]) -> list[Compiled] | None:
        found: list[Compiled] = []
        for loads, keys in batches:
            key = (id(loads), len(keys))
            statement = self._texts.get(key, False)
            if statement is False:
                if len(self._texts) > 10_000:  # bounded: loaders × key counts (1…100) stay far below
                    self._texts.clear()
                try:
                    statement = Compiled(loads, len(keys), self.db.engine.dialect)
                except NotPlain:
                    statement = None
                self._texts[key] = statement
            if statement is None:
                return None
            found.append(statement)  # type: ignore[arg-type]
        return found

    def _sent(self, statement: Compiled, arguments: Sequence[Any]) -> None:
        self.statements += 1
        if self.db.listening:
            self.db.sent_by_driver(statement.sql, arguments)


class AsyncpgRows(_DriverRows):
    def __init__(self, db: Statements) -> None:
        super().__init__(db)
        self._pool: Any = None
        self._starting: asyncio.Lock | None = None

    async def pool(self) -> Any:
        if self._pool is None:
            if self._starting is None:
                self._starting = asyncio.Lock()
            async with self._starting:
                if self._pool is None:
                    self._pool = await read_pool(self.db.url, self.db.budgets)
        return self._pool

    def session(self) -> Session:
        return _AsyncpgSession(self)

    async def aclose(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


async def read_pool(url: URL, budgets: Any = None) -> Any:
    """A fixed asyncpg pool for reads (and the audit's appends) at a SQLAlchemy URL, within the
    connect and statement budgets (`hub.data.db.Budgets`) when given."""
    import asyncpg

    limits: dict[str, Any] = {}
    if budgets is not None:
        limits = {
            "timeout": budgets.connect,
            "command_timeout": budgets.statement,
            "server_settings": budgets.server_settings(),
        }
    return await asyncpg.create_pool(
        **limits,
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
        # On loopback, no TLS attempt first (asyncpg's default); elsewhere its default.
        ssl=False if url.host in LOOPBACK_HOSTS else None,
        min_size=1,
        max_size=POOL_SIZE,
        reset=keep_session,
    )


async def keep_session(_connection: Any) -> None:
    """No reset query when a connection goes back to the pool: these connections only ever send
    SELECTs in autocommit, so there is no session state to clear, and asyncpg's default (unlock
    advisory locks, close cursors, UNLISTEN, RESET ALL) was one more round trip per request."""


class _AsyncpgSession(Session):
    __slots__ = ("broken", "connection", "pool", "rows")

    def __init__(self, rows: AsyncpgRows) -> None:
        self.rows = rows
        self.pool: Any = None
        self.connection: Any = None
        self.broken = False  # a statement was cut short: the connection is not given back as it is

    async def fetch(self, batches: Sequence[Batch]) -> list[Sequence[Row]]:
        rows = self.rows
        compiled = rows.compiled(batches)
        if compiled is None:
            return await rows.core.fetch(batches)
        fresh = self.connection is None
        if fresh:
            await self._acquire()
        try:
            return await self._fetch(compiled, batches)
        except CONNECTION_LOST:
            if not fresh:
                self.broken = True
                raise
            # A pooled connection the server dropped while it idled (a restart): replaced once
            # before the request's read fails on it.
            await self._discard()
            await self._acquire()
            return await self._fetch(compiled, batches)
        except BaseException:
            self.broken = True  # a timeout or cancellation mid-statement
            raise

    async def _acquire(self) -> None:
        budgets = self.rows.db.budgets
        self.pool = await self.rows.pool()
        self.connection = await self.pool.acquire(timeout=budgets.pool if budgets is not None else None)

    async def _fetch(self, compiled: list[Compiled], batches: Sequence[Batch]) -> list[Sequence[Row]]:
        rows = self.rows
        found: list[Sequence[Row]] = []
        for statement, (loads, keys) in zip(compiled, batches, strict=True):
            arguments = statement.arguments(keys)
            rows._sent(statement, arguments)
            with batch(loads.table.name, len(keys)):
                found.append(statement.convert(await self.connection.fetch(statement.sql, *arguments)))
        return found

    async def _discard(self) -> None:
        connection, self.connection = self.connection, None
        connection.terminate()
        await self.pool.release(connection)

    async def close(self) -> None:
        if self.connection is not None:
            if self.broken:
                self.broken = False
                await self._discard()
                return
            connection, self.connection = self.connection, None
            await self.pool.release(connection)


def _connection_lost() -> tuple[type[BaseException], ...]:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return (ConnectionError,)
    return (ConnectionError, asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError)


CONNECTION_LOST = _connection_lost()


class Sqlite3Rows(_DriverRows, Session):
    def __init__(self, db: Statements, path: str) -> None:
        super().__init__(db)
        self.path = path
        self._connection: sqlite3.Connection | None = None

    def session(self) -> Session:
        return self  # synchronous on the event loop: statements never interleave

    async def fetch(self, batches: Sequence[Batch]) -> list[Sequence[Row]]:
        compiled = self.compiled(batches)
        if compiled is None:
            return await self.core.fetch(batches)
        if self._connection is None:
            # Autocommit: each SELECT reads the latest committed state, as the AUTOCOMMIT reads do.
            self._connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        execute = self._connection.execute
        found: list[Sequence[Row]] = []
        for statement, (loads, keys) in zip(compiled, batches, strict=True):
            arguments = statement.arguments(keys)
            self._sent(statement, arguments)
            with batch(loads.table.name, len(keys)):
                found.append(statement.convert(execute(statement.sql, arguments).fetchall()))
        return found

    async def aclose(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class RequestReads:
    """One general-path request's loader batches, sent through one session (`Rows.session()`) per
    database: on PostgreSQL one connection from the first statement to the end of the request, one
    statement at a time. The request's loaders queue their keys as graphql-core resolves a
    selection's fields and a list's items, before it waits on any; the batches of every loader that
    queued meanwhile then go together, in the order the loaders queued, from one task (`queue`):
    aiodataloader's two tasks per batch and a lock's turn per statement were 9 % of a headline
    request's instructions (callgrind, 16 concurrent). Each batch on a pooled connection of its own
    had cost a pool checkout and return per statement, where the compiled path and the floor R take
    one per request. `close()` when the request is done.

    With `stores` (`hub.data.sectors.Stores`), each sector's batches go to its own database within
    its budget, and a batch whose sector cannot be read fails with SECTOR_UNAVAILABLE; a sector
    with a database or a fault of its own is read apart from the others, so it fails alone."""

    __slots__ = ("_closed", "_queued", "_reading", "_rows", "_sessions", "_stores", "_turns")

    def __init__(self, rows: Rows, stores: Any = None) -> None:
        self._rows = rows
        self._stores = stores
        self._sessions: dict[int, Session] = {id(rows): rows.session()}
        self._turns: dict[int, asyncio.Lock] = {id(rows): asyncio.Lock()}  # a connection runs one statement at a time
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
        batches: list[Batch] = [(loader.loads, [item.key for item in items]) for loader, items in queued]
        try:
            found = await self._read_all(batches)
        except BaseException:
            for loader, items in queued:
                loader.settle(items, RuntimeError("the read was cancelled"))
            raise
        for (loader, items), rows in zip(queued, found, strict=True):
            loader.settle(items, rows)

    async def _read_all(self, batches: list[Batch]) -> list[Sequence[Row] | Exception]:
        stores = self._stores
        if stores is None:
            return await self._read_group(None, self._rows, batches)
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
        self, sector: str | None, rows: Rows, batches: list[Batch]
    ) -> list[Sequence[Row] | Exception]:
        """The batches of one sector (or of the sectors on the hub's database, `None`)."""
        stores = self._stores
        try:
            if stores is None:
                return list(await self._fetch(rows, batches))
            async with stores.timeout():
                if sector is not None:
                    await stores.enter(sector)
                return list(await self._fetch(rows, batches))
        except Exception as error:
            if stores is not None and stores.is_outage(error):
                return [stores.unavailable(stores.sector_of(loads)) for loads, _ in batches]
            if len(batches) == 1:
                return [error]
            # Only the failing batch's keys fail, as when each batch was sent on its own: the
            # others' fields still get their rows.
            return [await self._alone(rows, batch) for batch in batches]

    async def _alone(self, rows: Rows, batch: Batch) -> Sequence[Row] | Exception:
        try:
            (found,) = await self._fetch(rows, [batch])
        except Exception as error:
            return error
        return found

    async def read_keys(self, loads: Loads[Any, Any], keys: Sequence[Any]) -> Sequence[Row]:
        (found,) = await self._read_all([(loads, keys)])
        if isinstance(found, Exception):
            raise found
        return found

    async def _fetch(self, rows: Rows, batches: list[Batch]) -> list[Sequence[Row]]:
        key = id(rows)
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = asyncio.Lock()
        async with turn:
            if not self._closed:
                session = self._sessions.get(key)
                if session is None:
                    session = self._sessions[key] = rows.session()
                return await session.fetch(batches)
        # Batches dispatched after the request ended: graphql-core stops waiting for the rest of
        # a selection once an error nulls it, and those resolvers run on. A session of their
        # own, so nothing is left holding a connection.
        session = rows.session()
        try:
            return await session.fetch(batches)
        finally:
            await session.close()

    async def close(self) -> None:
        self._closed = True
        for key, session in list(self._sessions.items()):
            async with self._turns[key]:  # never while a statement runs on the connection
                await session.close()


def rows_for(db: Statements, mode: str = "driver") -> Rows:
    """`driver`: straight through the driver where the database allows it; `core`: Database.fetch."""
    url = db.url
    if mode == "driver" and not url.query:
        if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
            return AsyncpgRows(db)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Sqlite3Rows(db, url.database)
    return CoreRows(db)
