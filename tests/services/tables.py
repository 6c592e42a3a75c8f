"""Every row of every table, to show that a mutation changed nothing (the audit trail aside: every
attempt is recorded there, as it should be)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, select

from tests.conftest import Api

UNCOMPARED = ("audit_", "alembic_version")


async def every_row(api: Api) -> dict[str, list[tuple[Any, ...]]]:
    async with api.hub.db.connect() as connection:
        metadata = MetaData()
        await connection.run_sync(metadata.reflect)
        found = {}
        for table in metadata.sorted_tables:
            if table.name.startswith(UNCOMPARED):
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            found[table.name] = [tuple(row) for row in await connection.execute(select(table).order_by(*order))]
        return found


def changed(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """The tables whose rows differ."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
