"""Files the hub keeps in its data directory hold personal data or secrets: its owner's alone."""

from __future__ import annotations

import os
from pathlib import Path


def private_file(path: Path) -> None:
    """Makes `path` (and its directory) if missing, readable and writable by its owner only, and
    narrows an existing one to that. SQLite creates its -wal and -shm files with the database's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
