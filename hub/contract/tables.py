"""What a sector's tables are made of: its MetaData, person columns, and new rows with drawn keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import CursorResult, MetaData, String, Update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import MappedColumn, mapped_column

from hub.contract.errors import Code, RabtError


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


async def updated(session: AsyncSession, statement: Update) -> int:
    """How many rows an UPDATE changed: a conditional update's way of telling that what the rules
    saw is still there. (SQLAlchemy's types do not tell an UPDATE's cursor result from a query's.)"""
    return cast(CursorResult[Any], await session.execute(statement)).rowcount


def values_of(row: Any) -> dict[str, Any]:
    """An ORM row's column values by name: what `record` builds a sector type from after a write."""
    return {column.key: getattr(row, column.key) for column in type(row).__table__.columns}
