"""Declared loaders: a sector says once which rows a field needs (table, key, order, record type),
and the hub batches them per request — one SELECT … WHERE key IN (…) per batch, whatever the
number of keys. Declarations, not code, so a planner can read what a field needs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar

import strawberry
from sqlalchemy import ColumnElement, Executable, Row, Select, Table, bindparam, select
from strawberry.types.base import StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.field import StrawberryField

from hub.contract.direct import DIRECT
from hub.contract.values import CalendarDate

T = TypeVar("T")
K = TypeVar("K")

LOADS = "rabt.loads"
"""The metadata key under which a `loaded()` field names its Loads and the source attribute."""


class Reads(Protocol):
    """Short autocommit reads: one statement, one pooled connection, no transaction."""

    async def fetch(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Sequence[Row[Any]]: ...


_CONVERTERS: dict[type[Any], Mapping[str, Callable[[Any], Any]]] = {}


def _converters(cls: type[Any]) -> Mapping[str, Callable[[Any], Any]]:
    """How each column value becomes a field value of `cls`: dates -> CalendarDate, text -> enum.
    Worked out once per type (typeshed's `functools.cache` would not take a `type[T]` key)."""
    found = _CONVERTERS.get(cls)
    if found is None:
        found = _CONVERTERS[cls] = _converters_of(cls)
    return found


def _converters_of(cls: type[Any]) -> Mapping[str, Callable[[Any], Any]]:
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


def loaded(loads: Loads[Any, Any], *, description: str, key_from: str = "person_id") -> StrawberryField:
    """A field whose value is `loads` for the key in the source object's `key_from` attribute."""

    # Called by graphql-core itself (`hub.contract.direct`), and not a coroutine: the key is queued when
    # the field is resolved, with its siblings' (`hub.api.execution` awaits a selection's fields in turn).
    def resolve(root: Any, info: strawberry.Info) -> Any:
        return info.context.load(loads, getattr(root, key_from))

    # Built at run time, so strawberry cannot read the return type from the source: set it.
    resolve.__annotations__ = {
        "root": Any,
        "info": strawberry.Info,
        "return": list[loads.record] if loads.many else loads.record | None,  # type: ignore[name-defined]
    }
    return strawberry.field(resolve, description=description, metadata={LOADS: (loads, key_from), **DIRECT})
