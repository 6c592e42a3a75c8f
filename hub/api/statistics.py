"""Aggregate statistics for analysts: counts only, published so that no count singles out a person.

Two attacks shape what is published:
- differencing over time: a caller who can add records (file incident reports) adds k known ones
  to a small group and subtracts k from the published count;
- differencing totals, and presence: a row shown as "suppressed" says that a group is not empty.

So each group's count is perturbed, then rounded to a multiple of 5 (as statistics offices
publish), and only groups whose true and published counts both reach the threshold are listed:
an empty group and a withheld one look the same (absent). The perturbation is drawn from a keyed
hash of (statistic, group, true count): asking again gives the same answer (no averaging over
repeated queries), and one more record gives a fresh draw. Every published count is off by up to
7 from the true one, so k known additions leave the hidden part uncertain. A caller who can also
withdraw records can walk a count up and down, learn what each count near it publishes, and by
walking again later learn exactly how many records others added in between: docs/access.md says
what bounds that (who may ask, and every record of a walk is an audited write).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Annotated, Any

import strawberry
from sqlalchemy import func, select
from strawberry.types.field import StrawberryField

from hub.api.context import HubInfo
from hub.contract import Sector, Statistic
from hub.contract.errors import Code, RabtError
from hub.contract.principal import Principal, Role

SMALLEST_COUNT = 10
SectorName = Annotated[
    str | None, strawberry.argument(description="One sector's statistics (e.g. `traffic`); omitted: every sector's.")
]
"""Groups under this many records, truly or as published, are not listed."""

BASE = 5
"""Published counts are multiples of this."""

SPREAD = 5
"""The perturbation added before rounding lies in [-SPREAD, SPREAD]."""


@strawberry.type(description="One group of a statistic: its dimension values and how many records it holds.")
class StatisticRow:
    group: list[str | None] = strawberry.field(description="The values of the statistic's dimensions, in order.")
    count: int | None = strawberry.field(
        description=(
            f"How many records, perturbed and rounded to a multiple of {BASE} so that no person can be "
            "singled out; the same data always gives the same count."
        )
    )
    suppressed: bool = strawberry.field(
        description="Always false: groups too small to publish are not listed at all.",
        deprecation_reason="Withheld groups are no longer listed (an empty group and a withheld one look alike).",
    )


@strawberry.type(description="An aggregate over one sector's records, with small groups withheld.")
class StatisticResult:
    sector: str = strawberry.field(description="The sector it counts.")
    name: str = strawberry.field(description="The statistic's name.")
    description: str = strawberry.field(description="What it counts.")
    dimensions: list[str] = strawberry.field(description="What each value of `group` means.")
    rows: list[StatisticRow] = strawberry.field(
        description=(
            f"One row per group with at least {SMALLEST_COUNT} records, ordered by the group's values; "
            "smaller groups are absent, like empty ones."
        )
    )


def published(key: bytes, statistic: str, group: Sequence[str | None], count: int) -> int | None:
    """The count to publish for a group holding `count` records, or None to leave it out."""
    if count < SMALLEST_COUNT:
        return None
    cell = "\x1f".join([statistic, *("\x00" if value is None else value for value in group), str(count)])
    draw = int.from_bytes(hmac.new(key, cell.encode(), hashlib.sha256).digest()[:8], "big")
    noise = draw % (2 * SPREAD + 1) - SPREAD
    rounded = BASE * round((count + noise) / BASE)
    return rounded if rounded >= SMALLEST_COUNT else None


def may_read(principal: Principal, sector: str) -> bool:
    """Analysts read every sector's statistics, officers their own sector's, services scoped
    `statistics` every sector's."""
    if principal.role is Role.ANALYST:
        return True
    if principal.role is Role.OFFICER:
        return principal.sector == sector
    return principal.role is Role.SERVICE and "statistics" in principal.scopes


async def _compute(info: HubInfo, key: bytes, sector: Sector, statistic: Statistic) -> StatisticResult:
    columns = [statistic.table.c[name] for name in statistic.group_by]
    statement = select(*columns, func.count()).group_by(*columns).order_by(*columns)
    rows = []
    stores = info.context.stores
    db = stores.database(sector.name) if stores is not None else info.context.db
    found: Sequence[Sequence[Any]] = await db.fetch(statement)  # the group's columns, then the count
    for row in found:
        group: list[str | None] = [None if value is None else str(value) for value in row[:-1]]
        count = published(key, f"{sector.name}.{statistic.name}", group, int(row[-1]))
        if count is not None:
            rows.append(StatisticRow(group=group, count=count, suppressed=False))
    return StatisticResult(
        sector=sector.name,
        name=statistic.name,
        description=statistic.description,
        dimensions=list(statistic.group_by),
        rows=rows,
    )


def statistics_fields(sectors: Sequence[Sector], key: bytes | None) -> dict[str, StrawberryField]:
    """`key` keys the perturbation; a schema built without one (to print its SDL) refuses to answer."""

    async def statistics(info: HubInfo, sector: SectorName = None) -> list[StatisticResult]:
        principal = info.context.principal
        if sector is not None and sector not in {s.name for s in sectors}:
            raise RabtError(
                Code.BAD_USER_INPUT, f"sector: one of {', '.join(s.name for s in sectors)}.", argument="sector"
            )
        chosen = [s for s in sectors if (sector is None or s.name == sector) and may_read(principal, s.name)]
        if not chosen:
            raise RabtError(
                Code.FORBIDDEN, "Statistics are for analysts, officers (their own sector) and scoped services."
            )
        if key is None:
            raise RabtError(Code.INTERNAL_ERROR, "Statistics are not configured in this schema.")
        return [await _compute(info, key, s, statistic) for s in chosen for statistic in s.statistics]

    return {
        "statistics": strawberry.field(
            statistics,
            description=(
                "Aggregate counts per sector for analysts (officers: their own sector; services scoped "
                f"`statistics`). No person-level data: groups under {SMALLEST_COUNT} are not listed, and "
                f"counts are perturbed and rounded to a multiple of {BASE}."
            ),
        )
    }
