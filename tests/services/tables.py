"""Every row of every table, to show that a mutation changed nothing (the audit trail aside: every
attempt is recorded there, as it should be)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import URL, MetaData, Table, select, text

from tests.conftest import Api

UNCOMPARED = ("audit_", "alembic_version")

# Reflecting the schema took most of a comparison's time (100 of 159 ms on SQLite): the tables are
# reflected again only when the schema's fingerprint, cheap to read, has changed.
_compared: dict[tuple[URL, Any], list[Table]] = {}

_PG_SCHEMA = text(
    "SELECT md5(string_agg(c.relname || '.' || a.attname || ':' || a.atttypid::text, ',' ORDER BY c.relname, a.attnum))"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0"
    " AND NOT a.attisdropped"
)


async def every_row(api: Api) -> dict[str, list[tuple[Any, ...]]]:
    async with api.hub.db.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        schema = await connection.scalar(text("PRAGMA schema_version") if sqlite else _PG_SCHEMA)
        database = (api.hub.db.url, schema)
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
