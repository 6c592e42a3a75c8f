"""Declared loaders: a sector says once which rows a field needs (table, key, order, record type),
and the hub batches them per request — one SELECT … WHERE key IN (…) per batch, whatever the
number of keys. Declarations, not code, so a planner can read what a field needs."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, Generic, Protocol, TypeVar

import strawberry
from aiodataloader import DataLoader, Loader, failed_dispatch
from sqlalchemy import ColumnElement, Executable, Row, Select, Table, bindparam, select
from strawberry.types.base import StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.field import StrawberryField

from hub.direct import DIRECT
from hub.values import CalendarDate

T = TypeVar("T")
K = TypeVar("K")

LOADS = "rabt.loads"
"""The metadata key under which a `loaded()` field names its Loads and the source attribute."""


class Reads(Protocol):
    """Short autocommit reads: one statement, one pooled connection, no transaction."""

    async def fetch(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Sequence[Row[Any]]: ...


class KeyReads(Protocol):
    """Where a request's loaders send their batches (`hub.rows.RequestReads`)."""

    def queue(self, loader: BatchLoader) -> None:
        """`loader` has keys waiting: send its batch, with those of the loaders that queue meanwhile."""

    async def read_keys(self, loads: Loads[Any, Any], keys: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """One batch alone: its one statement for these keys."""


@cache
def _converters(cls: type[Any]) -> Mapping[str, Callable[[Any], Any]]:
    """How each column value becomes a field value of `cls`: dates -> CalendarDate, text -> enum."""
    convert: dict[str, Callable[[Any], Any]] = {}
    definition = getattr(cls, "__strawberry_definition__", None)
    for strawberry_field in definition.fields if definition is not None else ():
        field_type = strawberry_field.type
        if isinstance(field_type, StrawberryOptional):
            field_type = field_type.of_type
        if field_type is CalendarDate:
            convert[strawberry_field.python_name] = _calendar_date
        elif isinstance(field_type, StrawberryEnumDefinition):
            convert[strawberry_field.python_name] = field_type.wrapped_cls
    return convert


def _calendar_date(value: dt.date) -> CalendarDate:
    return CalendarDate(gregorian=value)


def columns_of(cls: type[Any], columns: Table | Mapping[str, Any]) -> list[str]:
    """The dataclass fields of `cls` (strawberry fields and Private ones) found among `columns`."""
    names = columns.c if isinstance(columns, Table) else columns
    return [f.name for f in dataclasses.fields(cls) if f.name in names]


def record(cls: type[T], values: Mapping[str, Any]) -> T:
    """Builds a sector type from column values (e.g. a row just written), as the loaders do."""
    convert = _converters(cls)
    return cls(
        **{
            name: convert[name](values[name]) if name in convert and values[name] is not None else values[name]
            for name in columns_of(cls, values)
        }
    )


@dataclass(frozen=True, eq=False)
class Loads(Generic[K, T]):
    """Rows of `table` whose `key` column is one of a batch's keys, in `order_by` order, each built
    as `record` (its dataclass fields that are columns are selected). `many`: every row per key;
    otherwise the first row or None. Compared by identity: each declaration is one loader."""

    record: type[Any]
    table: Table
    key: str
    order_by: tuple[ColumnElement[Any], ...]
    many: bool
    where: ColumnElement[bool] | None = None
    columns: tuple[str, ...] = field(init=False)
    statement: Select[Any] = field(init=False)
    keyed: Select[Any] = field(init=False)

    def __post_init__(self) -> None:
        columns = tuple(columns_of(self.record, self.table))
        statement = select(self.table.c[self.key], *(self.table.c[name] for name in columns)).order_by(*self.order_by)
        if self.where is not None:
            statement = statement.where(self.where)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "statement", statement)
        # Built once: a fresh IN (...) per batch cost SQLAlchemy a new cache key each time.
        object.__setattr__(
            self, "keyed", statement.where(self.table.c[self.key].in_(bindparam("keys", expanding=True)))
        )

    @cached_property
    def fields(self) -> tuple[tuple[int, str, Callable[[Any], Any] | None], ...]:
        """Each of `columns` as (its place in a row, after the key; its name; its converter or None):
        the same for every batch, so worked out once, not for each request's loader."""
        convert = _converters(self.record)
        return tuple((index + 1, name, convert.get(name)) for index, name in enumerate(self.columns))

    def for_keys(self, keys: Sequence[Any]) -> Select[Any]:
        """The one statement a batch sends: column 0 is the key, then `columns`."""
        return self.statement.where(self.table.c[self.key].in_(list(keys)))

    def loader(self, reads: KeyReads) -> BatchLoader:
        return BatchLoader(self, reads)


def rows_by(
    record: type[T],
    table: Table,
    key: str,
    *,
    order_by: Sequence[ColumnElement[Any]],
    where: ColumnElement[bool] | None = None,
) -> Loads[Any, list[T]]:
    """Every row per key, in `order_by` order."""
    return Loads(record, table, key, tuple(order_by), many=True, where=where)


def row_by(
    record: type[T],
    table: Table,
    key: str,
    *,
    order_by: Sequence[ColumnElement[Any]],
    where: ColumnElement[bool] | None = None,
) -> Loads[Any, T | None]:
    """The first row per key in `order_by` order, or None."""
    return Loads(record, table, key, tuple(order_by), many=False, where=where)


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


def loaded(loads: Loads[Any, Any], *, description: str, key_from: str = "person_id") -> StrawberryField:
    """A field whose value is `loads` for the key in the source object's `key_from` attribute."""

    # Called by graphql-core itself (`hub.direct`), and not a coroutine: the key is queued when
    # the field is resolved, with its siblings' (`hub.execution` awaits a selection's fields in turn).
    def resolve(root: Any, info: strawberry.Info) -> Any:
        return info.context.load(loads, getattr(root, key_from))

    # Built at run time, so strawberry cannot read the return type from the source: set it.
    resolve.__annotations__ = {
        "root": Any,
        "info": strawberry.Info,
        "return": list[loads.record] if loads.many else loads.record | None,  # type: ignore[name-defined]
    }
    return strawberry.field(resolver=resolve, description=description, metadata={LOADS: (loads, key_from), **DIRECT})
