"""A SQLite file's row source (`Sqlite3RowSource`): the stdlib `sqlite3` module on the event loop,
one connection in autocommit mode. A statement on an indexed local file takes tens of
microseconds, less than one hop to aiosqlite's thread costs (as the bench's floor does)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from hub.data.keyed_statements import DriverRowSource
from hub.data.row_source import KeyBatch, ReadSession, Row, Statements
from hub.telemetry.traces import batch


class Sqlite3RowSource(DriverRowSource, ReadSession):
    def __init__(self, db: Statements, path: str) -> None:
        super().__init__(db)
        self.path = path
        self._connection: sqlite3.Connection | None = None

    def session(self) -> ReadSession:
        return self  # synchronous on the event loop: statements never interleave

    async def fetch(self, batches: Sequence[KeyBatch]) -> list[Sequence[Row]]:
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
            self.note_sent(statement, arguments)
            with batch(loads.table.name, len(keys)):
                found.append(statement.convert(execute(statement.sql, arguments).fetchall()))
        return found

    async def aclose(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
