"""Seeding one sector alone, in memory, to look at the rows it would insert."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from hub.contract import Sector, SeedContext
from hub.contract.population import generate

SEED_DAY = dt.date(2026, 3, 1)


async def seeded_rows(sector: Sector, people: int, rng_seed: str) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}

    async def insert(table: Any, batch: Any) -> None:
        rows[table.name] = [dict(row) for row in batch]

    population = generate(people, 2026, SEED_DAY)
    await sector.seed(SeedContext(population=population, rng=random.Random(rng_seed), today=SEED_DAY, insert=insert))
    return rows


def descending(iso_date: str) -> str:
    """A sort key that orders ISO dates latest first inside an otherwise ascending tuple."""
    return "".join(chr(ord("9") - ord(c) + ord("0")) if c.isdigit() else c for c in iso_date)
