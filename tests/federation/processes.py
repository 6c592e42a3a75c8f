"""Starting and stopping the real processes of the federated shape: subgraphs and Hive Gateway,
with the bench's own process helpers (`bench.servers`)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from bench.servers import ROOT, free_port, start

__all__ = ["ROOT", "free_port", "hub_command", "running"]


@contextlib.contextmanager
def running(command: Sequence[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    """Runs a server in its own session until the block ends (`Server.stop`: SIGTERM, then SIGKILL)."""
    server = start(log.stem, command, env, ready_url, log, timeout=60)
    try:
        yield
    finally:
        server.stop()


def hub_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "hub", *arguments]
