"""Files the hub keeps in its data directory hold personal data or secrets: its owner's alone."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def private_file(path: Path) -> None:
    """Makes `path` (and its directory) if missing, readable and writable by its owner only, and
    narrows an existing one to that. SQLite creates its -wal and -shm files with the database's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Never open and close an existing file: closing any descriptor of a file drops every POSIX
    # lock this process holds on it, SQLite's included, and two connections that lost their locks
    # can write over each other (https://sqlite.org/howtocorrupt.html, 2.2).
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    os.chmod(path, 0o600)
