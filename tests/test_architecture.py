"""The layers stay apart, and every sector reads like the others."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from hub.registry import BUILT_IN, installed_sectors

ROOT = Path(__file__).resolve().parents[1]
SECTOR_FILES = {"__init__.py", "models.py", "types.py", "loaders.py", "person.py", "mutations.py", "seed.py"}


def test_import_rules_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test dependency"
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_built_in_sector_has_the_same_files() -> None:
    for path in BUILT_IN:
        folder = ROOT / path.replace(".", "/")
        present = {p.name for p in folder.glob("*.py")}
        assert present >= SECTOR_FILES, f"{path} lacks {sorted(SECTOR_FILES - present)}"
        assert present <= SECTOR_FILES | {"relations.py"}, f"{path} has extra modules {sorted(present - SECTOR_FILES)}"


def test_sector_tables_carry_the_sector_prefix_and_names_are_unique() -> None:
    sectors = installed_sectors()
    tables = [table.name for sector in sectors for table in sector.metadata.sorted_tables]
    assert len(tables) == len(set(tables))
    for sector in sectors:
        assert all(table.name.startswith(f"{sector.name}_") for table in sector.metadata.sorted_tables)
    assert len({sector.field_name for sector in sectors}) == len(sectors)


def test_the_tree_passes_ruff() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is a test dependency"
    for command in ([ruff, "check", "."], [ruff, "format", "--check", "."]):
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
