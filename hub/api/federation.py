"""The federated shape: every sector (and identity) as an Apollo Federation v2 subgraph, composed
by the real composer (`@apollo/composition`, pinned in federation/) into a supergraph."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.api.schema import IDENTITY_SUBGRAPH, schema_for
from hub.contract import Sector

FEDERATION_DIR = Path(__file__).resolve().parents[2] / "federation"
GATEWAY_PORT = 4000
FIRST_SUBGRAPH_PORT = 4001


class CompositionError(RuntimeError):
    pass


@dataclass(frozen=True)
class Subgraph:
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"


def subgraphs(sectors: Sequence[Sector]) -> list[Subgraph]:
    """identity first, then each sector in registry order, on consecutive ports."""
    names = [IDENTITY_SUBGRAPH, *(sector.name for sector in sectors)]
    return [Subgraph(name, FIRST_SUBGRAPH_PORT + index) for index, name in enumerate(names)]


def subgraph_sdl(sectors: Sequence[Sector], name: str) -> str:
    return schema_for(sectors, name).as_str() + "\n"


def node_available() -> bool:
    return shutil.which("node") is not None and (FEDERATION_DIR / "node_modules" / "@apollo" / "composition").is_dir()


def compose(sdls: Sequence[tuple[Subgraph, str]]) -> str:
    """The supergraph SDL composed by @apollo/composition, or CompositionError with its messages."""
    with tempfile.TemporaryDirectory(prefix="rabt-compose-") as folder:
        arguments = []
        for subgraph, sdl in sdls:
            path = Path(folder) / f"{subgraph.name}.graphql"
            path.write_text(sdl, encoding="utf-8")
            arguments.append(f"{subgraph.name}={subgraph.url}={path}")
        out = Path(folder) / "supergraph.graphql"
        done = subprocess.run(
            ["node", str(FEDERATION_DIR / "compose.mjs"), str(out), *arguments],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise CompositionError(done.stderr.strip() or done.stdout.strip())
        return out.read_text(encoding="utf-8")


GATEWAY_HEAP_MB = 192
"""V8's old space for Hive Gateway. Left to its default (a share of the machine's memory) the heap
grows under steady load long before a full collection runs: measured +53 to +73 MB within one
6-second bench scenario and past 300 MB RSS; at 192 MB (~100 MB live after start) RSS stayed flat
(+7 MB) at 262 MB peak with the same throughput; 128 MB ran out of memory at start."""


GATEWAY_BIN = FEDERATION_DIR / "node_modules" / ".bin" / "hive-gateway"


def gateway_installed() -> bool:
    return shutil.which("node") is not None and GATEWAY_BIN.is_file()


def gateway_command() -> list[str]:
    """Hive Gateway started directly (not through npx, whose wrapper orphans it on SIGTERM)."""
    return [
        "node",
        f"--max-old-space-size={GATEWAY_HEAP_MB}",
        str(GATEWAY_BIN),
        "supergraph",
        "-c",
        str(FEDERATION_DIR / "gateway.config.mjs"),
    ]
