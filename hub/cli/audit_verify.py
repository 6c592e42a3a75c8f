"""`python -m hub audit-verify`: the audit chain recomputed, its per-person index's lag, every
write of the hub's database against its record, and each database of sectors apart: its outbox's
relayed writes against the chain, and what is not relayed yet (the relay's lag).

This module stays cheap to import (the CLI imports it to build its parser)."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.data.db import Database
    from hub.settings import Settings


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


async def _chain(db: Database) -> bool:
    from hub.audit.outbox import verify_outbox
    from hub.audit.verify import verify_chain

    report = await verify_chain(db)
    writes = await verify_outbox(db)
    if report.intact:
        print(f"audit chain intact: {_plural(report.rows, 'record')}")
        # The per-person index follows the records after their commit (hub/audit/index.py).
        if report.unindexed:
            print(
                f"audit index: {_plural(report.unindexed, 'record')} behind, "
                f"the oldest appended {report.lag_seconds:.1f} s ago (a running hub indexes them; "
                "a stopped one at its next start)"
            )
        else:
            print("audit index: up to date")
    else:
        print(f"audit chain BROKEN at record id {report.broken_at} (after {report.rows:,} good records)")
    if writes.whole and writes.writes:
        print(f"audited writes: all {writes.writes:,} have their record")
    elif not writes.whole:
        shown = ", ".join(writes.unaudited[:5])
        missing = len(writes.unaudited)
        print(f"WRITES WITHOUT THEIR AUDIT RECORD: {missing:,} of {writes.writes:,} (outbox ids {shown})")
    return report.intact and writes.whole


async def _apart(hub: Database, sectors: list[str], db: Database) -> bool:
    """One database of sectors apart: its outbox against the hub's chain."""
    from hub.audit.relay import verify_relayed

    named = f"sector database {db.url.database} ({', '.join(sectors)})"
    report = await verify_relayed(hub, db)
    if report.missing:
        shown = ", ".join(report.missing[:5])
        print(
            f"{named}: WRITES WITHOUT THEIR AUDIT RECORD: {len(report.missing):,} of {report.writes:,} "
            f"relayed (outbox ids {shown})"
        )
    else:
        print(f"{named}: {_plural(report.writes - report.unrelayed, 'relayed write')}, each with its record")
    if report.unrelayed:
        print(
            f"{named}: relay lag: {_plural(report.unrelayed, 'write')} not relayed yet, the oldest written "
            f"{report.lag_seconds:.1f} s ago (a running hub relays them; a stopped one at its next start)"
        )
    else:
        print(f"{named}: relay lag: none")
    return report.whole


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from hub.data.db import Database
    from hub.registry import enabled_sectors

    names = [sector.name for sector in enabled_sectors(settings.sectors)]
    by_url: dict[str, list[str]] = {}
    for sector, url in settings.sector_database_urls(names).items():
        if url != settings.database_url:
            by_url.setdefault(url, []).append(sector)

    async def run() -> int:
        hub = Database(settings.database_url)
        try:
            whole = await _chain(hub)
            for url, sectors in by_url.items():
                db = Database(url)
                try:
                    whole = await _apart(hub, sectors, db) and whole
                finally:
                    await db.dispose()
        finally:
            await hub.dispose()
        return 0 if whole else 1

    return asyncio.run(run())


def add_parser(commands: Any) -> None:
    command = commands.add_parser(
        "audit-verify",
        help="recompute the audit log's hash chain and check every write's record, in each database; exit 1 if not",
    )
    command.set_defaults(run=_run)
