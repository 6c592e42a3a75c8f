"""Fills the tables (migrated to head) with the deterministic demo population, once."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from hub.accounts.models import AccountsBase
from hub.audit.records import AuditBase, AuditRecord
from hub.audit.relay import RelayBase
from hub.contract import Sector, SeedContext
from hub.contract.calendar import riyadh_today
from hub.contract.population import Population, generate
from hub.data.db import Database
from hub.identity.models import IdentityBase, PersonRow

CHUNK = 5_000
Progress = Callable[[str], None]


async def empty_tables(db: Database, sectors: Sequence[Sector], *, audit: bool, hub: bool = True) -> int:
    """Deletes every row of the hub's (unless not `hub`: a database of sectors apart) and these
    sectors' tables, and of the audit trail's (there: the outbox of records it relays) only when
    `audit`; the tables stay, at their revisions. Returns the audit records kept."""
    metadatas = [IdentityBase.metadata, AccountsBase.metadata] if hub else []
    metadatas += [sector.metadata for sector in sectors]
    if audit:
        metadatas.append(AuditBase.metadata if hub else RelayBase.metadata)
    tables = [table for metadata in metadatas for table in reversed(metadata.sorted_tables)]
    async with db.connect() as connection:
        if db.is_sqlite:
            for table in tables:
                await connection.execute(table.delete())
        elif tables:
            quote = connection.dialect.identifier_preparer.quote
            await connection.execute(text(f"TRUNCATE {', '.join(quote(table.name) for table in tables)}"))
        if audit or not hub:
            return 0
        return int((await connection.execute(select(func.count()).select_from(AuditRecord.__table__))).scalar_one())


async def is_seeded(db: Database) -> bool:
    rows = await db.fetch(select(func.count()).select_from(PersonRow.__table__))
    return bool(rows[0][0])


async def seed(
    db: Database,
    sectors: Sequence[Sector],
    *,
    people: int,
    seed_value: int,
    today: dt.date | None = None,
    progress: Progress = lambda _: None,
    databases: Mapping[str, Database] | None = None,
) -> bool:
    """Seeds an empty database, migrated to head, and returns True; leaves a seeded one alone and
    returns False. A sector named in `databases` is seeded in that database of its own."""
    if await is_seeded(db):
        return False
    today = today or riyadh_today()
    started = time.perf_counter()
    population = generate(people, seed_value, today)
    progress(f"generated {len(population.people):,} people in {time.perf_counter() - started:.1f}s")
    own = databases or {}
    for sector in sectors:  # a sector in a database of its own first: the hub's people say "seeded"
        if sector.name in own:
            async with own[sector.name].connect() as connection:
                context = SeedContext(
                    population=population,
                    rng=random.Random(f"{seed_value}:{sector.name}"),
                    today=today,
                    insert=_inserter(connection, progress),
                )
                await sector.seed(context)
    async with db.connect() as connection:  # one transaction: a failed seed leaves nothing behind
        insert = _inserter(connection, progress)
        await insert(PersonRow.__table__, [_identity_row(population, index) for index in range(len(population.people))])
        for sector in sectors:
            if sector.name in own:
                continue
            context = SeedContext(
                population=population, rng=random.Random(f"{seed_value}:{sector.name}"), today=today, insert=insert
            )
            await sector.seed(context)
    if not db.is_sqlite:
        # Fresh statistics, or the planner guesses row counts for tables it has never analysed.
        async with db.read_engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
    progress(f"seeded in {time.perf_counter() - started:.1f}s")
    return True


def _identity_row(population: Population, index: int) -> dict[str, Any]:
    person = population.people[index]
    return dict(
        id=person.id,
        kind=person.kind.value,
        name_ar=person.name_ar,
        name_en=person.name_en,
        sex=person.sex.value,
        birth_on=person.birth_on,
        nationality=person.nationality,
        mobile=person.mobile,
    )


def _inserter(connection: AsyncConnection, progress: Progress) -> Callable[[Table, Sequence[Mapping[str, Any]]], Any]:
    async def insert(table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        for start in range(0, len(rows), CHUNK):
            await connection.execute(table.insert(), list(rows[start : start + CHUNK]))
        progress(f"{table.name}: {len(rows):,} rows")

    return insert
