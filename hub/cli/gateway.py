"""`python -m hub gateway`: Hive Gateway (Node.js) over a composed supergraph, in this process's place."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hub.cli.schema import SCHEMAS
from hub.settings import Settings


def _run(args: argparse.Namespace, settings: Settings) -> int:
    import os
    import sys

    from hub.api.federation import FEDERATION_DIR, GATEWAY_PORT, gateway_command, gateway_installed

    if not gateway_installed():
        print(
            "Hive Gateway is not installed: it needs Node.js and `npm ci` in federation/ (./dev hub gateway does it)",
            file=sys.stderr,
        )
        return 1
    supergraph = Path(args.supergraph).resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "CONFIG_PATH", "POLLING")}
    env.update(
        RABT_SUPERGRAPH=str(supergraph), RABT_GATEWAY_HOST=args.host, RABT_GATEWAY_PORT=str(args.port or GATEWAY_PORT)
    )
    from hub.data.secrets_store import load_secrets

    # The gateway signs every subgraph request with the deployment's secret; on the embedded demo
    # that is the one the subgraphs read from the same data directory.
    env.setdefault("RABT_GATEWAY_HMAC_SECRET", load_secrets(settings.data_dir)["RABT_GATEWAY_HMAC_SECRET"])
    env.setdefault("RABT_GATEWAY_SUBGRAPH_TIMEOUT", str(settings.subgraph_timeout))
    env.setdefault("RABT_RETRY_AFTER", str(settings.retry_after))
    command = gateway_command()
    print(f"Hive Gateway on http://{args.host}:{args.port or GATEWAY_PORT}/graphql over {supergraph}", flush=True)
    os.chdir(FEDERATION_DIR.parent)
    os.execvpe(command[0], command, env)


def add_parser(commands: Any) -> None:
    command = commands.add_parser("gateway", help="run Hive Gateway (Node.js) over a composed supergraph")
    command.add_argument(
        "--supergraph", default=str(SCHEMAS / "supergraph.graphql"), help="default: schemas/supergraph.graphql"
    )
    command.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    command.add_argument("--port", type=int, default=None, help="default 4000")
    command.set_defaults(run=_run)
