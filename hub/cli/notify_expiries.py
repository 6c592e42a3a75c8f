"""`python -m hub notify-expiries`: the daily reminders of documents about to expire (run it from a
scheduler, e.g. cron, once a day or more often: it keeps each reminder once)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from typing import Any

from hub.settings import Settings


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from hub.contract.calendar import riyadh_today
    from hub.data.db import Database
    from hub.migrations import check, components, placed
    from hub.notifications.bus import bus_for
    from hub.notifications.expiries import notify_expiries
    from hub.registry import enabled_sectors

    today = dt.date.fromisoformat(args.today) if args.today else riyadh_today()
    sectors = enabled_sectors(settings.sectors)

    urls = settings.sector_database_urls([sector.name for sector in sectors])

    async def run() -> int:
        for url, held in placed(settings.database_url, components(sectors), urls):
            await check(url, held)
        db, bus = Database(settings.database_url), bus_for(settings.redis_url)
        apart = {url: Database(url) for url in set(urls.values()) if url != settings.database_url}
        try:
            databases = {sector: apart[url] for sector, url in urls.items() if url in apart}
            kept = await notify_expiries(db, sectors, bus, today, databases)
        finally:
            await bus.aclose()
            await db.dispose()
            for one in apart.values():
                await one.dispose()
        print(f"notify-expiries {today.isoformat()}: {len(kept):,} reminder{'' if len(kept) == 1 else 's'} kept")
        return 0

    return asyncio.run(run())


def add_parser(commands: Any) -> None:
    command = commands.add_parser(
        "notify-expiries", help="remind people of documents expiring in 30, 7 or 1 days (idempotent per day)"
    )
    command.add_argument("--today", default=None, help="the day to remind as of (YYYY-MM-DD; default: today in Riyadh)")
    command.set_defaults(run=_run)
