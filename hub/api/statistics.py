"""Aggregate statistics for analysts: counts only, and never a count small enough to single out a person."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from sqlalchemy import func, select
from strawberry.types.field import StrawberryField

from hub.contract import Info, Sector, Statistic
from hub.contract.errors import Code, RabtError
from hub.contract.principal import Role

SMALLEST_COUNT = 10
"""Counts below this are withheld (k-anonymity threshold used by many statistics offices)."""


@strawberry.type(description="One group of a statistic: its dimension values and how many records it holds.")
class StatisticRow:
    group: list[str | None] = strawberry.field(description="The values of the statistic's dimensions, in order.")
    count: int | None = strawberry.field(
        description=f"How many records; null when fewer than {SMALLEST_COUNT} (withheld to protect people)."
    )
    suppressed: bool = strawberry.field(description="True when the count was withheld.")


@strawberry.type(description="An aggregate over one sector's records, with small counts withheld.")
class StatisticResult:
    sector: str = strawberry.field(description="The sector it counts.")
    name: str = strawberry.field(description="The statistic's name.")
    description: str = strawberry.field(description="What it counts.")
    dimensions: list[str] = strawberry.field(description="What each value of `group` means.")
    rows: list[StatisticRow] = strawberry.field(description="One row per group, ordered by the group's values.")


async def _compute(info: Info, sector: Sector, statistic: Statistic) -> StatisticResult:
    columns = [statistic.table.c[name] for name in statistic.group_by]
    statement = select(*columns, func.count()).group_by(*columns).order_by(*columns)
    rows = []
    for row in await info.context.db.fetch(statement):
        count = int(row[-1])
        hidden = count < SMALLEST_COUNT
        rows.append(
            StatisticRow(
                group=[None if v is None else str(v) for v in row[:-1]],
                count=None if hidden else count,
                suppressed=hidden,
            )
        )
    return StatisticResult(
        sector=sector.name,
        name=statistic.name,
        description=statistic.description,
        dimensions=list(statistic.group_by),
        rows=rows,
    )


def statistics_fields(sectors: Sequence[Sector]) -> dict[str, StrawberryField]:
    async def statistics(info: Info, sector: str | None = None) -> list[StatisticResult]:
        principal = info.context.principal
        if principal.role not in (Role.ANALYST, Role.OFFICER) and not (
            principal.role is Role.SERVICE and "statistics" in principal.scopes
        ):
            raise RabtError(Code.FORBIDDEN, "Statistics are for analysts, officers and scoped services.")
        chosen = [s for s in sectors if sector is None or s.name == sector]
        if sector is not None and not chosen:
            raise RabtError(Code.BAD_USER_INPUT, f"sector: one of {[s.name for s in sectors]}.", argument="sector")
        return [await _compute(info, s, statistic) for s in chosen for statistic in s.statistics]

    return {
        "statistics": strawberry.field(
            resolver=statistics,
            description=(
                "Aggregate counts per sector for analysts (also officers and services scoped `statistics`). "
                f"No person-level data; any count below {SMALLEST_COUNT} is withheld."
            ),
        )
    }
