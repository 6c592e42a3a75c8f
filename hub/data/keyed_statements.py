"""A loader's statement as the drivers send it (`KeyedStatement`), and what the driver row sources
share (`DriverRowSource`: hub/data/asyncpg_rows.py, hub/data/sqlite_rows.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Dialect

from hub.contract.loading import Loads
from hub.data.row_source import CoreRowSource, KeyBatch, Row, RowSource, Statements


class NotPlain(Exception):
    """A statement with bound values other than its keys: sent through Database.fetch instead."""


class KeyedStatement:
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


class DriverRowSource(RowSource):
    """The statement texts, compiled once per (loader, key count), shared by the driver modes."""

    def __init__(self, db: Statements) -> None:
        super().__init__(db)
        self.core = CoreRowSource(db)
        self._texts: dict[tuple[int, int], KeyedStatement | None] = {}

    def compiled(self, batches: Sequence[KeyBatch]) -> list[KeyedStatement] | None:
        found: list[KeyedStatement] = []
        for loads, keys in batches:
            key = (id(loads), len(keys))
            statement = self._texts.get(key, False)
            if statement is False:
                if len(self._texts) > 10_000:  # bounded: loaders × key counts (1…100) stay far below
                    self._texts.clear()
                try:
                    statement = KeyedStatement(loads, len(keys), self.db.engine.dialect)
                except NotPlain:
                    statement = None
                self._texts[key] = statement
            if statement is None:
                return None
            found.append(statement)  # type: ignore[arg-type]
        return found

    def note_sent(self, statement: KeyedStatement, arguments: Sequence[Any]) -> None:
        self.statements += 1
        if self.db.listening:
            self.db.sent_by_driver(statement.sql, arguments)
