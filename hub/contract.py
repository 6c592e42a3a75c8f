"""The one door sectors use: everything a sector package may import from the hub lives here.

A sector is a package under `sectors/` whose `__init__.py` exports one `Sector`. It owns its
tables (its own `MetaData`), its loaders, its strawberry types and its seed; it refers to people
only by ID (`person_key()` columns, `PersonRef` fields) and never imports another sector.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import MetaData, String, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import MappedColumn, mapped_column
from strawberry.types.field import StrawberryField

from hub.calendar import arabic_digits
from hub.context import RequestContext
from hub.errors import Code, RabtError
from hub.identity.national_id import DIGITS, InvalidId, normalize_id
from hub.identity.population import Population
from hub.loading import Loads, Reads, loaded, record, row_by, rows_by
from hub.policy import ActingAs, Relation
from hub.values import CalendarDate, Language, Refusal, refusals

if TYPE_CHECKING:
    from hub.person import Person

__all__ = [
    "ActingAs",
    "CalendarDate",
    "Code",
    "Info",
    "Language",
    "Loads",
    "PersonRef",
    "RabtError",
    "Reads",
    "Refusal",
    "Relation",
    "RelationSource",
    "Sector",
    "SeedContext",
    "Statistic",
    "arabic_digits",
    "ascii_digits",
    "insert_new",
    "loaded",
    "parse_person_id",
    "person_key",
    "person_ref",
    "record",
    "refusals",
    "require_known_person",
    "row_by",
    "rows_by",
    "sector_metadata",
]

Info = strawberry.Info[RequestContext, None]
"""The resolver `info` of every Rabt field: `info.context` is the typed request context."""

PersonRef = Annotated["Person", strawberry.lazy("hub.person")]
"""Annotate a field that returns a person with this; build its value with `person_ref(id)`."""


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


async def insert_new(
    session: AsyncSession, row_type: type[Any], values: dict[str, Any], key: str, draw: Callable[[], str]
) -> dict[str, Any]:
    """Inserts `values` as a new `row_type` row whose primary key `key` (a report's reference, a
    visa's number) is drawn by `draw`, again while the draw is taken; returns `values` with it.
    Drawn at random alone, a new identifier meets one already issued by the birthday bound: the
    bench's mutation row (10^8 references a day) failed one request in ~10,000 with a unique
    violation. One statement whether or not it collides (INSERT … ON CONFLICT DO NOTHING)."""
    table = row_type.__table__
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)).on_conflict_do_nothing(
        index_elements=[table.c[key]]
    )
    for _ in range(KEY_DRAWS):
        drawn = {**values, key: draw()}
        if (await session.execute(statement.values(drawn).returning(table.c[key]))).first() is not None:
            return drawn
    raise RabtError(Code.INTERNAL_ERROR, f"No free {key} after {KEY_DRAWS} draws; try again.")


KEY_DRAWS = 8


async def require_known_person(info: Info, person_id: str) -> None:
    """Raises NOT_FOUND unless the identity registry knows this ID (e.g. before an officer's write)."""
    from hub.identity.loaders import person_by_id  # identity's loaders are declared with this module

    if await info.context.load(person_by_id, person_id) is None:
        raise RabtError(Code.NOT_FOUND, "No person with this ID is registered.", argument="personId")


def person_ref(person_id: str | None) -> Person | None:
    """The `Person` with this ID, for a field annotated `PersonRef` (its fields load lazily)."""
    from hub.person import Person  # import-linter: sectors reach Person only through this door

    return None if person_id is None else Person(id=strawberry.ID(person_id))


def ascii_digits(text: str) -> str:
    """Eastern Arabic and Persian digits as ASCII, as people type numbers on Arabic keyboards."""
    return text.translate(DIGITS)


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
