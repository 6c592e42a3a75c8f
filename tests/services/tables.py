"""Every row of every table, to show that a mutation changed nothing (the audit trail aside: every
attempt is recorded there, as it should be)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, MetaData, Table, select

from tests.conftest import Api

UNCOMPARED = ("audit_", "alembic_version")

# The tables of each test database, reflected once: its schema is migrated before the first test
# and stays, and reflecting it took most of a comparison's time (100 of 159 ms on SQLite).
_compared: dict[tuple[URL, frozenset[str]], list[Table]] = {}


async def every_row(api: Api) -> dict[str, list[tuple[Any, ...]]]:
    database = (api.hub.db.url, frozenset(sector.name for sector in api.hub.sectors))
    async with api.hub.db.connect() as connection:
        tables = _compared.get(database)
        if tables is None:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            tables = [table for table in metadata.sorted_tables if not table.name.startswith(UNCOMPARED)]
            _compared[database] = tables
        found = {}
        for table in tables:
            order = list(table.primary_key.columns) or list(table.columns)
            found[table.name] = [tuple(row) for row in await connection.execute(select(table).order_by(*order))]
        return found


def changed(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """The tables whose rows differ."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
