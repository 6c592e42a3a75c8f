"""`python -m hub migrate upgrade|downgrade|current|revision`: the tables brought to the code's revisions.

This module stays cheap to import (the CLI imports it to build its parser): Alembic and the
models are imported when a command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.migrations import Component
    from hub.settings import Settings


def components_of(settings: Settings) -> tuple[Component, ...]:
    from hub.migrations import components
    from hub.registry import enabled_sectors

    return components(enabled_sectors(settings.sectors))


def databases_of(
    settings: Settings, found: Sequence[Component] | None = None
) -> list[tuple[str, tuple[Component, ...]]]:
    """Each database and the components it holds (a sector may have a database of its own)."""
    from hub.migrations import placed

    found = components_of(settings) if found is None else found
    urls = settings.sector_database_urls([component.name for component in found])
    return placed(settings.database_url, found, urls)


def not_at_heads(settings: Settings) -> bool:
    """Says why, and returns True, when the database is not at its migrations' heads. The
    embedded demo migrates itself at start instead (`Settings.migrates_itself`)."""
    from hub.migrations import MigrationError, check

    if settings.migrates_itself:
        return False
    try:
        for url, found in databases_of(settings):
            asyncio.run(check(url, found))
    except MigrationError as error:
        print(f"rabt: {error}", file=sys.stderr)
        return True
    return False


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from hub.migrations import MigrationError

    try:
        return asyncio.run(_migrate(args, settings))
    except MigrationError as error:
        print(f"migrate: {error}", file=sys.stderr)
        return 1


async def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from hub.migrations import MigrationError, downgrade, named, revision, statuses, upgrade

    found = components_of(settings)
    chosen = named(found, args.component)

    def say(line: str) -> None:
        print(f"migrate: {line}", flush=True)

    placed = databases_of(settings, chosen)
    if args.action == "current":
        for where, components in placed:
            for status in await statuses(where, components):
                print(status)
        return 0
    if args.action == "upgrade":
        target = args.revision or "head"
        if target != "head" and len(chosen) > 1:
            raise MigrationError("a revision other than head belongs to one component: add --component NAME")
        for where, components in placed:
            if not await upgrade(where, components, target, among=found, drop_audit=args.drop_audit, progress=say):
                say("nothing to do: " + ", ".join(str(status) for status in await statuses(where, components)))
        return 0
    url = placed[0][0]
    if args.component is None:
        raise MigrationError(f"{args.action} works on one component: add --component NAME")
    if args.action == "downgrade":
        if not args.revision:
            raise MigrationError("downgrade to which revision? (a revision id, -1, or base)")
        if not await downgrade(url, chosen[0], args.revision, among=found, drop_audit=args.drop_audit, progress=say):
            say("nothing to do")
        return 0
    if not args.message:
        raise MigrationError("a revision needs a message: -m 'what it changes'")
    written = await revision(chosen[0], args.message, empty=args.empty)
    if written is None:
        say(f"{chosen[0].name}: its models hold nothing beyond head; nothing written (--empty for a hand-written one)")
    else:
        say(f"wrote {written}: read it, and test it with `migrate upgrade` and `migrate downgrade`")
    return 0


def add_parser(commands: Any) -> None:
    """Registers `migrate` on the CLI's subcommands (`parser.add_subparsers(...)`)."""
    command = commands.add_parser(
        "migrate",
        help="bring the database's tables to the code's revisions (one history per component: hub, each sector)",
    )
    command.add_argument("action", choices=["upgrade", "downgrade", "current", "revision"])
    command.add_argument("revision", nargs="?", default=None, help="upgrade: default head; downgrade: id, -1 or base")
    command.add_argument("--component", default=None, help="hub or a sector's name (default: every component)")
    command.add_argument(
        "--drop-audit", action="store_true", help="allow a migration that drops or empties the audit trail"
    )
    command.add_argument("-m", "--message", default=None, help="revision: what the new revision changes")
    command.add_argument("--empty", action="store_true", help="revision: an empty one to write by hand")
    command.set_defaults(run=_run)
