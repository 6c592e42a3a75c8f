"""A PostgreSQL cluster of a test's own, to stop, start and freeze for real: initdb as the
`postgres` user in a temporary directory, on a free port of 127.0.0.1. The shared server is never
touched."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI


def _bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin, self.root = bin_dir, root
        self.data = root / "data"
        self.port = _free_port()

    def _run(self, *command: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # Output to a file: the server pg_ctl starts would hold a pipe open after pg_ctl returns.
        with open(self.root / "commands.log", "ab") as log:
            subprocess.run([*as_postgres, *command], check=True, stdout=log, stderr=log, timeout=120)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def freeze(self) -> None:
        os.killpg(os.getpgid(self.postmaster_pid()), signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(os.getpgid(self.postmaster_pid()), signal.SIGCONT)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)


@contextlib.contextmanager
def own_cluster() -> Iterator[Cluster]:
    """A started cluster, stopped and removed afterwards; skipped (failed in CI) without PostgreSQL's binaries."""
    bin_dir = _bin()
    if bin_dir is None or (shutil.which("runuser") is None and os.geteuid() == 0):
        message = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="rabt-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        (root / "commands.log").touch()
    cluster = Cluster(bin_dir, root)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(Exception):
            cluster.thaw()
        with contextlib.suppress(Exception):
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def wait_until(condition: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
