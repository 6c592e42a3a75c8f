"""The one door sectors use: everything a sector package may import from the hub lives here.

A sector is a package under `sectors/` whose `__init__.py` exports one `Sector`. It owns its
tables (its own `MetaData`), its loaders, its strawberry types and its seed; it refers to people
only by ID (`person_key()` columns, `PersonRef` fields) and never imports another sector.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Generic, Protocol, TypeVar

import strawberry
from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Executable, MetaData, Row, String, Table, select
from sqlalchemy.orm import MappedColumn, mapped_column
from strawberry.types.base import StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.field import StrawberryField

from hub.calendar import arabic_digits, hijri_iso, hijri_long
from hub.context import RequestContext
from hub.errors import Code, RabtError
from hub.identity.national_id import DIGITS, InvalidId, normalize_id
from hub.identity.population import Population
from hub.policy import ActingAs, Relation

if TYPE_CHECKING:
    from hub.person import Person

__all__ = [
    "ActingAs",
    "CalendarDate",
    "Code",
    "Info",
    "Language",
    "PersonRef",
    "RabtError",
    "Reads",
    "Refusal",
    "Relation",
    "RelationSource",
    "RowByKey",
    "RowsByKey",
    "Sector",
    "SeedContext",
    "Statistic",
    "arabic_digits",
    "ascii_digits",
    "parse_person_id",
    "person_key",
    "person_ref",
    "record",
    "refusals",
    "require_known_person",
    "sector_metadata",
]

Info = strawberry.Info[RequestContext, None]
"""The resolver `info` of every Rabt field: `info.context` is the typed request context."""

PersonRef = Annotated["Person", strawberry.lazy("hub.person")]
"""Annotate a field that returns a person with this; build its value with `person_ref(id)`."""

T = TypeVar("T")
K = TypeVar("K")


def sector_metadata() -> MetaData:
    """A fresh MetaData with the naming convention every sector shares (stable constraint names)."""
    return MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def person_key(
    *, nullable: bool = False, primary_key: bool = False, comment: str = "a person's 10-digit ID"
) -> MappedColumn[Any]:
    """A column holding a person's ID. No foreign key: a sector may live in its own database."""
    return mapped_column(String(10), nullable=nullable, primary_key=primary_key, index=not primary_key, comment=comment)


def parse_person_id(text: str, argument: str = "id") -> str:
    """A person ID from a client, normalised (Eastern Arabic digits accepted) or refused with
    INVALID_ID before anything reaches a database."""
    try:
        return normalize_id(text)
    except InvalidId as error:
        raise RabtError(Code.INVALID_ID, f"{argument}: {error}.", argument=argument) from None


async def require_known_person(info: Info, person_id: str) -> None:
    """Raises NOT_FOUND unless the identity registry knows this ID (e.g. before an officer's write)."""
    from hub.identity.loaders import IdentityLoaders  # identity's loaders are built on this module

    if await info.context.loaders(IdentityLoaders).person_by_id.load(person_id) is None:
        raise RabtError(Code.NOT_FOUND, "No person with this ID is registered.", argument="personId")


def person_ref(person_id: str | None) -> Person | None:
    """The `Person` with this ID, for a field annotated `PersonRef` (its fields load lazily)."""
    from hub.person import Person  # import-linter: sectors reach Person only through this door

    return None if person_id is None else Person(id=strawberry.ID(person_id))


@strawberry.enum(description="A language a text can be returned in.")
class Language(enum.Enum):
    AR = "ar"
    EN = "en"


# Value types every subgraph returns are @shareable, as Federation v2 requires of a type that
# several subgraphs resolve.
@strawberry.federation.type(
    shareable=True, description="A date in both calendars: Gregorian (ISO 8601) and Umm al-Qura Hijri."
)
class CalendarDate:
    gregorian: dt.date = strawberry.field(description="The Gregorian date, ISO 8601 (YYYY-MM-DD).")

    @strawberry.field(description="The Umm al-Qura Hijri date as YYYY-MM-DD; null outside 1343–1500 AH.")
    def hijri(self) -> str | None:
        return hijri_iso(self.gregorian)

    @strawberry.field(description="The Hijri date written out, e.g. '15 Jumada al-Akhirah 1448 AH'.")
    def hijri_text(self, language: Language = Language.EN) -> str | None:
        return hijri_long(self.gregorian, language.value)


@strawberry.federation.type(
    shareable=True,
    description="Why a mutation did not happen. Nothing was written. `code` is stable; `message` is for people.",
)
class Refusal:
    code: str = strawberry.field(description="A stable, machine-readable reason, e.g. IQAMA_EXPIRED.")
    message: str = strawberry.field(description="The reason in plain English.")
    message_ar: str = strawberry.field(description="The reason in plain Arabic.")


def refusals(messages: Mapping[str, tuple[str, str]]) -> Callable[[str], Refusal]:
    """A mutation's refusals from one table of code -> (English, Arabic) message."""

    def refuse(code: str) -> Refusal:
        english, arabic = messages[code]
        return Refusal(code=code, message=english, message_ar=arabic)

    return refuse


def ascii_digits(text: str) -> str:
    """Eastern Arabic and Persian digits as ASCII, as people type numbers on Arabic keyboards."""
    return text.translate(DIGITS)


class Reads(Protocol):
    """Short autocommit reads: one statement, one pooled connection, no transaction."""

    async def fetch(self, statement: Executable) -> Sequence[Row[Any]]: ...


@cache
def _converters(cls: type[Any]) -> Mapping[str, Callable[[Any], Any]]:
    """How each column value becomes a field value of `cls`: dates -> CalendarDate, text -> enum."""
    convert: dict[str, Callable[[Any], Any]] = {}
    definition = getattr(cls, "__strawberry_definition__", None)
    for field in definition.fields if definition is not None else ():
        field_type = field.type
        if isinstance(field_type, StrawberryOptional):
            field_type = field_type.of_type
        if field_type is CalendarDate:
            convert[field.python_name] = _calendar_date
        elif isinstance(field_type, StrawberryEnumDefinition):
            convert[field.python_name] = field_type.wrapped_cls
    return convert


def record(cls: type[T], values: Mapping[str, Any]) -> T:
    """Builds a sector type from column values (e.g. a row just written), as the loaders do."""
    convert = _converters(cls)
    names = _columns_of(cls, values)
    return cls(
        **{
            name: convert[name](values[name]) if name in convert and values[name] is not None else values[name]
            for name in names
        }
    )


def _record_builder(cls: type[T], names: Sequence[str]) -> Callable[[Row[Any]], T]:
    """Builds `cls` from rows whose columns 1.. are `names`."""
    convert = _converters(cls)
    plan = [(index + 1, name, convert.get(name)) for index, name in enumerate(names)]

    def build(row: Row[Any]) -> T:
        values: dict[str, Any] = {}
        for position, name, converter in plan:
            value = row[position]
            values[name] = converter(value) if converter is not None and value is not None else value
        return cls(**values)

    return build


def _calendar_date(value: dt.date) -> CalendarDate:
    return CalendarDate(gregorian=value)


def _columns_of(cls: type[Any], columns: Table | Mapping[str, Any]) -> list[str]:
    """The dataclass fields of `cls` (strawberry fields and Private ones) found among `columns`."""
    names = columns.c if isinstance(columns, Table) else columns
    return [field.name for field in dataclasses.fields(cls) if field.name in names]


class _KeyedLoader(DataLoader[K, T], Generic[K, T]):
    def __init__(
        self,
        reads: Reads,
        record: type[Any],
        table: Table,
        key: str,
        order_by: Sequence[ColumnElement[Any]],
        where: ColumnElement[bool] | None = None,
    ) -> None:
        super().__init__()
        names = _columns_of(record, table)
        self._reads = reads
        self._build = _record_builder(record, names)
        self._key = table.c[key]
        self._select = select(self._key, *(table.c[name] for name in names)).order_by(*order_by)
        if where is not None:
            self._select = self._select.where(where)

    async def _grouped(self, keys: Sequence[K]) -> dict[K, list[Any]]:
        groups: dict[K, list[Any]] = {key: [] for key in keys}
        rows = await self._reads.fetch(self._select.where(self._key.in_(list(groups))))
        for row in rows:
            groups[row[0]].append(self._build(row))
        return groups


class RowsByKey(_KeyedLoader[K, list[T]]):
    """Every row of `table` whose `key` is one of the batch's keys, in `order_by` order:
    one SELECT … WHERE key IN (…) per batch, whatever the number of keys."""

    async def batch_load_fn(self, keys: Sequence[K]) -> list[list[T]]:
        groups = await self._grouped(keys)
        return [groups[key] for key in keys]


class RowByKey(_KeyedLoader[K, "T | None"]):
    """The first row (in `order_by` order) of `table` for each key, or None: one SELECT per batch."""

    async def batch_load_fn(self, keys: Sequence[K]) -> list[T | None]:
        groups = await self._grouped(keys)
        return [(groups[key] or [None])[0] for key in keys]


@dataclass(frozen=True)
class RelationSource:
    """A relation between people that a sector knows and the access policy uses.

    `fetch(reads, viewer_id, subject_ids)` returns the subjects to whom the viewer stands in
    `relation` (e.g. the viewer's minor children). It is called once per request batch.
    """

    relation: Relation
    fetch: Callable[[Reads, str, Sequence[str]], Awaitable[set[str]]]


@dataclass(frozen=True)
class Statistic:
    """An aggregate analysts may read: row counts of `table` grouped by `group_by` columns.

    Declarative on purpose: the hub writes the SQL and suppresses small counts, so no sector can
    hand an analyst a count that singles a person out.
    """

    name: str
    description: str
    table: Table
    group_by: tuple[str, ...]


@dataclass
class SeedContext:
    """What a sector's seed gets: the synthetic population and a way to insert rows in bulk."""

    population: Population
    rng: random.Random
    today: dt.date
    insert: Callable[[Table, Sequence[Mapping[str, Any]]], Awaitable[None]]


@dataclass(frozen=True)
class Sector:
    """A sector's manifest. The hub reads nothing else from a sector package.

    `person_type` is the strawberry type of the sector's namespace on `Person` (for example
    `person { traffic { … } }`); the hub builds it as `person_type(person_id=…)` after the
    access check, so its fields only load data. `query_fields`/`mutation_fields` return fresh
    strawberry fields on every call (one field object must never sit in two schemas).
    """

    name: str
    field_name: str
    title_en: str
    title_ar: str
    metadata: MetaData
    person_type: type[Any]
    seed: Callable[[SeedContext], Awaitable[None]]
    query_fields: Callable[[], Mapping[str, StrawberryField]] = dict
    mutation_fields: Callable[[], Mapping[str, StrawberryField]] = dict
    relations: Sequence[RelationSource] = ()
    statistics: Sequence[Statistic] = ()

    def __post_init__(self) -> None:
        foreign = [table.name for table in self.metadata.sorted_tables if not table.name.startswith(f"{self.name}_")]
        if foreign:
            raise ValueError(f"sector {self.name!r}: tables must carry its prefix: {foreign}")
