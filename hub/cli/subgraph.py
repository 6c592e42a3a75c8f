"""`python -m hub subgraph NAME`: one Apollo Federation v2 subgraph, identity or a sector, under uvicorn."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from hub.cli.migrate import not_at_heads
from hub.settings import Settings


def _run(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from hub.api.federation import subgraphs
    from hub.registry import enabled_sectors
    from hub.web.app import create_app
    from hub.web.hub import Hub
    from hub.web.server import uvicorn_options

    known = {subgraph.name: subgraph for subgraph in subgraphs(enabled_sectors(settings.sectors))}
    if args.name not in known:
        print(f"unknown subgraph {args.name!r}; one of: {', '.join(known)}", file=sys.stderr)
        return 2
    if not_at_heads(settings):
        return 1
    port = args.port or known[args.name].port
    print(f"Rabt subgraph {args.name} on http://{args.host}:{port}/graphql (Apollo Federation v2)", flush=True)
    app = create_app(settings, Hub.build(settings, subgraph=args.name))
    uvicorn.run(app, host=args.host, port=port, **uvicorn_options(settings))
    return 0


def add_parser(commands: Any) -> None:
    command = commands.add_parser("subgraph", help="serve one Apollo Federation v2 subgraph: identity or a sector")
    command.add_argument("name", help="identity, or an enabled sector's name (e.g. passports)")
    command.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    command.add_argument("--port", type=int, default=None, help="default: 4001 for identity, then one per sector")
    command.add_argument("--log-level", default=None, help="default RABT_LOG_LEVEL (info)")
    command.set_defaults(run=_run)
