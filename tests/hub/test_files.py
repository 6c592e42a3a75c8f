"""The hub's data files are its owner's alone, and making them so never disturbs SQLite's locks."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from hub.data.files import private_file

# Another process asks for the write lock at once: SQLite's locks between processes are POSIX locks.
TRY_LOCK = """
import sqlite3, sys
try:
    sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None).execute("BEGIN EXCLUSIVE")
except sqlite3.OperationalError as error:
    print(error)
else:
    print("acquired")
"""


def test_a_new_file_and_an_existing_one_are_the_owners_alone(tmp_path: Path) -> None:
    made, existing = tmp_path / "data" / "new.db", tmp_path / "old.db"
    existing.write_bytes(b"kept")
    existing.chmod(0o644)
    for path in (made, existing):
        private_file(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert existing.read_bytes() == b"kept"


def test_narrowing_an_open_database_keeps_its_connections_locks(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops every POSIX lock the process holds on it: a writer
    that lost its lock would let a second writer in, and the two can corrupt the database."""
    path = tmp_path / "rabt.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("CREATE TABLE t (x INTEGER)")
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("INSERT INTO t VALUES (1)")
    private_file(path)  # as a second Database on the same file does
    tried = subprocess.run([sys.executable, "-c", TRY_LOCK, str(path)], capture_output=True, text=True, check=True)
    assert tried.stdout.strip() == "database is locked", tried
    writer.execute("COMMIT")
    writer.close()
