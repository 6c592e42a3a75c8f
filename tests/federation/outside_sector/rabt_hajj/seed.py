"""Hajj's demo permits, drawn deterministically from the shared population."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.contract import CalendarDate, SeedContext
from rabt_hajj.models import HajjPermitRow

PILGRIM_ADULTS = 0.03


async def seed(ctx: SeedContext) -> None:
    hijri = CalendarDate(gregorian=ctx.today).hijri()
    this_season = int(hijri[:4]) if hijri else 1446
    rows: list[dict[str, Any]] = []

    def permit(person_id: str, season: int, status: str, days_ago: int) -> None:
        rows.append(
            dict(
                number=f"HJ{season}-{len(rows) + 1:08d}",
                person_id=person_id,
                season=season,
                status=status,
                issued_on=ctx.today - dt.timedelta(days=days_ago),
            )
        )

    family_head = ctx.population.persona("family_head")
    permit(family_head.id, this_season - 5, "used", 5 * 354 + 60)
    permit(family_head.id, this_season, "issued", 20)
    for person in ctx.population.people:
        if person is not family_head and person.age_on(ctx.today) >= 18 and ctx.rng.random() < PILGRIM_ADULTS:
            age = ctx.rng.randrange(0, 10)
            permit(person.id, this_season - age, "used" if age else "issued", age * 354 + ctx.rng.randrange(20, 90))
    await ctx.insert(HajjPermitRow.__table__, rows)
