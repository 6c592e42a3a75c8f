"""`python -m hub seed`: the tables migrated to head and the demo people seeded (once)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

from hub.cli.migrate import databases_of
from hub.settings import Settings


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from hub.migrations import MigrationError, upgrade

    if args.drop_audit and not args.reset:
        print("seed: --drop-audit goes with --reset", file=sys.stderr)
        return 2
    try:
        for url, found in databases_of(settings):
            asyncio.run(upgrade(url, found, progress=_said("migrate")))
    except MigrationError as error:
        print(f"migrate: {error}", file=sys.stderr)
        return 1
    today = dt.date.fromisoformat(args.today) if args.today else None
    if not asyncio.run(seed_people(settings, args.reset, args.drop_audit, args.people, today)):
        print("seed: the database already holds people; nothing changed (use --reset to start again)")
    return 0


async def seed_people(
    settings: Settings, reset: bool, drop_audit: bool, people: int | None = None, today: dt.date | None = None
) -> bool:
    from hub.data.db import Database
    from hub.registry import enabled_sectors
    from hub.seed import empty_tables, seed

    db = Database(settings.database_url)
    sectors = enabled_sectors(settings.sectors)
    urls = settings.sector_database_urls([s.name for s in sectors])
    own = {name: Database(url) for name, url in urls.items()}
    try:
        if reset:
            kept = await empty_tables(db, [s for s in sectors if s.name not in own], audit=drop_audit)
            for url in dict.fromkeys(urls.values()):  # each database of sectors apart, once
                held = [s for s in sectors if urls.get(s.name) == url]
                await empty_tables(own[held[0].name], held, audit=drop_audit, hub=False)
            if kept:
                print(f"seed: kept the audit trail ({kept:,} records); --drop-audit empties it too")
        return await seed(
            db,
            sectors,
            people=people or settings.seed_people,
            seed_value=settings.seed,
            today=today,
            progress=_said("seed"),
            databases=own,
        )
    finally:
        await db.dispose()
        for sector_db in own.values():
            await sector_db.dispose()


def _said(prefix: str) -> Callable[[str], None]:
    return lambda line: print(f"{prefix}: {line}", flush=True)


def add_parser(commands: Any) -> None:
    command = commands.add_parser("seed", help="migrate the tables to head and seed the demo data (once)")
    command.add_argument("--people", type=int, default=None, help="how many people (default RABT_SEED_PEOPLE or 10000)")
    command.add_argument("--reset", action="store_true", help="empty every table first, but the audit trail's")
    command.add_argument("--drop-audit", action="store_true", help="with --reset: empty the audit trail too, for good")
    command.add_argument("--today", default=None, help="reference date, YYYY-MM-DD (default: today)")
    command.set_defaults(run=_run)
