"""A sector's manifest: the one object a sector package exports."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table
from strawberry.types.field import StrawberryField

from hub.contract.access import RelationSource
from hub.contract.notices import Expiry
from hub.contract.population import Population
from hub.contract.services import Check, Service


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

    `expiries` are the documents the hub's daily job reminds their holders of before they expire.

    `migrations` names the package whose `versions/` folder holds the sector's Alembic revisions
    (e.g. `sectors.traffic.migrations`): the only way its tables reach a database. A sector
    without tables needs none.

    `registers_people`: the sector enters new people in the identity registry
    (`SectorContext.register_person`; civil affairs for a newborn citizen), so its database role
    may insert there.
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
    services: Sequence[Service] = ()
    checks: Sequence[Check] = ()
    expiries: Sequence[Expiry] = ()
    migrations: str | None = None
    registers_people: bool = False

    def __post_init__(self) -> None:
        foreign = [table.name for table in self.metadata.sorted_tables if not table.name.startswith(f"{self.name}_")]
        if foreign:
            raise ValueError(f"sector {self.name!r}: tables must carry its prefix: {foreign}")
        if self.metadata.tables and not self.migrations:
            raise ValueError(
                f"sector {self.name!r}: its tables need migrations: name the package holding its Alembic "
                "revisions (migrations=...; docs/sectors.md)"
            )
