"""`python -m hub serve`: the all-in-one hub under uvicorn, in one worker process or several.

uvicorn rewrites the client's address from X-Forwarded-For when the peer is 127.0.0.1 by default
(its forwarded_allow_ips): a local client could then be anyone. The hub reads that header itself,
from the proxies in RABT_TRUSTED_PROXIES only (hub.web.client_address).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from hub.cli.migrate import not_at_heads
from hub.cli.seed import seed_people
from hub.settings import Settings

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # hub.telemetry.metrics; not imported: that imports prometheus_client


def serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers > 1:
        _count_across_workers()
    import uvicorn

    from hub.contract.population import PERSONAS
    from hub.web.app import create_app
    from hub.web.server import uvicorn_options

    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        print("several workers need PostgreSQL (RABT_DATABASE_URL): SQLite has one writer", file=sys.stderr)
        return 2
    if not_at_heads(settings):
        return 1
    url = f"http://{args.host}:{args.port}/graphql"
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"Rabt hub on {url} (GraphiQL in a browser; database {database})")
    if not settings.is_production:
        print("Demo people to try (query PersonStatus with their ID):")
        for persona in PERSONAS:
            print(f"  {persona.id}  {persona.key}: {persona.story}")
        print("Sign in as one of them:  ./dev hub token individual 1010000014   (prints a bearer token)")
    if args.workers > 1:
        asyncio.run(seed_people(settings, reset=False, drop_audit=False))  # once, before the workers
        uvicorn.run(
            "hub.web.app:app_from_env",
            factory=True,
            workers=args.workers,
            host=args.host,
            port=args.port,
            **uvicorn_options(settings),
        )
        return 0
    uvicorn.run(create_app(settings), host=args.host, port=args.port, **uvicorn_options(settings))
    return 0


def _count_across_workers() -> None:
    """Metrics of several workers add up through files in PROMETHEUS_MULTIPROC_DIR (a fresh
    directory unless the operator named one, emptied of an earlier run's files either way); set
    before any worker imports prometheus_client."""
    import os
    import tempfile

    folder = Path(os.environ.get(MULTIPROCESS_DIR) or tempfile.mkdtemp(prefix="rabt-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(folder)


def add_parser(commands: Any) -> None:
    command = commands.add_parser("serve", help="serve the hub (the embedded demo migrates and seeds itself at start)")
    command.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    command.add_argument("--port", type=int, default=8000, help="default 8000")
    command.add_argument("--log-level", default=None, help="default RABT_LOG_LEVEL (info)")
    command.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL only); one per core")
    command.set_defaults(run=serve)
