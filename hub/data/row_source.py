"""Where the loaders' rows come from: their own statements (`Loads.for_keys`), for both paths.

- `RowSource.session()`: one request's statements: the compiled path's in phases (the identity
  rows, then the sectors'); the general path's as its DataLoaders queue keys, the batches of the
  loaders that queued together sent together (`RequestReads`, hub/data/request_reads.py).

Three sources, the same SQL text each way (`Database.rows` picks one for its URL):
- `CoreRowSource` (here): through the hub's `Database.fetch` (SQLAlchemy Core, an AUTOCOMMIT
  connection per statement). Correct on every database; the reference, and what an unusual URL gets.
- `AsyncpgRowSource` (PostgreSQL, hub/data/asyncpg_rows.py) and `Sqlite3RowSource` (SQLite file,
  hub/data/sqlite_rows.py): each loader's statement compiled once per number of keys to the text
  SQLAlchemy sends (hub/data/keyed_statements.py), then sent with the driver.
Column values are converted with the dialect's SQLAlchemy result processors (SQLite stores dates
as text), so rows hold what `Database.fetch` returns. Statements sent through a driver are shown
to `Database.on_statement` listeners as SQLAlchemy's events show the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Executable
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.contract.loading import Loads
from hub.telemetry.traces import batch


class Statements(Protocol):
    """What the row sources use of the hub's `Database` (hub.data.db), which builds them."""

    url: URL
    engine: AsyncEngine
    budgets: Any  # hub.data.db.Budgets | None: connect, pool and statement timeouts

    @property
    def listening(self) -> bool: ...

    async def fetch(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Sequence[Any]: ...

    def sent_by_driver(self, statement: str, parameters: Any) -> None: ...


Row = Sequence[Any]  # one row's column values, in the statement's column order
KeyBatch = tuple[Loads[Any, Any], Sequence[Any]]  # one loader's statement for these keys


class ReadSession:
    """One request's statements. `close()` releases what the session holds."""

    async def fetch(self, batches: Sequence[KeyBatch]) -> list[Sequence[Row]]:
        raise NotImplementedError

    async def close(self) -> None:
        return None


class RowSource:
    """Where loaders' rows come from; `statements` counts the statements sent (tests, benchmark)."""

    def __init__(self, db: Statements) -> None:
        self.db = db
        self.statements = 0

    def session(self) -> ReadSession:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Releases what this object holds outside the hub's own pools."""


class CoreRowSource(RowSource, ReadSession):
    def session(self) -> ReadSession:
        return self

    async def _read(self, loads: Loads[Any, Any], keys: Sequence[Any]) -> Sequence[Row]:
        self.statements += 1
        with batch(loads.table.name, len(keys)):
            return await self.db.fetch(loads.keyed, {"keys": list(keys)})

    async def fetch(self, batches: Sequence[KeyBatch]) -> list[Sequence[Row]]:
        if len(batches) == 1:
            return [await self._read(*batches[0])]
        # Each on its own connection (Database.fetch checks one out per statement).
        return list(await asyncio.gather(*(self._read(loads, keys) for loads, keys in batches)))
