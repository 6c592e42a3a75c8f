"""`python -m hub schema`: the SDL files under schemas/ written, or (--check) compared (hub.cli.sdl)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hub.settings import Settings

SCHEMAS = Path("schemas")


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from hub.cli.sdl import write_schemas

    changed = write_schemas(Path(args.out), check=args.check, with_supergraph=not args.no_supergraph)
    for path in changed:
        print(f"{'stale' if args.check else 'wrote'} {path}")
    return 1 if args.check and changed else 0


def add_parser(commands: Any) -> None:
    command = commands.add_parser("schema", help="write the SDL files under schemas/")
    command.add_argument("--out", default=str(SCHEMAS))
    command.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    command.add_argument("--no-supergraph", action="store_true", help="no supergraph (composing needs Node.js)")
    command.set_defaults(run=_run)
