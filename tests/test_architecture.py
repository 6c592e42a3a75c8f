"""The layers stay apart, every sector reads like the others, and no module or function outgrows a read."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from hub.registry import BUILT_IN, installed_sectors

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL_SECTOR_FILES = {
    "inquiries.py",
    "relations.py",
    "rules.py",
    "services.py",
}  # public inquiries it answers; relations it declares; its rules' texts; services and checks it offers
SECTOR_FILES = {"__init__.py", "models.py", "types.py", "loaders.py", "person.py", "mutations.py", "seed.py"}


def test_import_rules_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test dependency"
    done = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def copy_of_project(
    target: Path,
    parts: tuple[str, ...] = ("hub", "sectors", "pyproject.toml"),
    without: tuple[str, ...] = ("__pycache__", "static"),
) -> Path:
    """`parts` of the project (folders or files) copied under `target`, leaving out the folders
    and files named in `without` (by default caches and GraphiQL's assets)."""
    for part in parts:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns(*without))
        else:
            shutil.copy(source, target / part)
    return target


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter over the `hub` and `sectors` of `root` (a copy of the project), by its pyproject.toml."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("sectors/traffic/loaders.py", "hub.data.row_source"),
        ("sectors/passports/types.py", "hub.api.context"),
        ("hub/contract/values.py", "hub.data.db"),
        ("hub/data/db.py", "hub.audit.writer"),
    ],
)
def test_an_import_past_the_rules_breaks_them(tmp_path: Path, module: str, forbidden: str) -> None:
    """The rules are an allow-list: whatever a sector (or a lower layer) imports beyond what it
    may, by any name, is refused."""
    copy_of_project(tmp_path)
    target = tmp_path / module
    target.write_text(f"import {forbidden}  # noqa\n" + target.read_text())
    done = lint_imports(tmp_path)
    assert done.returncode != 0, done.stdout
    assert forbidden in done.stdout


def _cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), imports inside functions
    and under TYPE_CHECKING included."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(f"{package}."))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if not imported.startswith(package):
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_the_hub_has_no_import_cycle() -> None:
    graph = grimp.build_graph("hub", "sectors", "bench")
    assert _cycles(graph, "hub") == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("hub", "hub.a", "hub.b", "hub.c"):
        graph.add_module(module)
    graph.add_import(importer="hub.a", imported="hub.b")
    graph.add_import(importer="hub.b", imported="hub.a")
    graph.add_import(importer="hub.b", imported="hub.c")
    assert _cycles(graph, "hub") == [["hub.a", "hub.b"]]


def test_every_built_in_sector_has_the_same_files() -> None:
    for path in BUILT_IN:
        folder = ROOT / path.replace(".", "/")
        present = {p.name for p in folder.glob("*.py")}
        assert present >= SECTOR_FILES, f"{path} lacks {sorted(SECTOR_FILES - present)}"
        extra = present - SECTOR_FILES - OPTIONAL_SECTOR_FILES
        assert not extra, f"{path} has extra modules {sorted(extra)}"


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


def mypy(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """mypy, by the project's configuration (strict, over hub/ and sectors/), run in `root`."""
    found = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert found, "mypy is a test dependency"
    return subprocess.run([found, *arguments], cwd=root, capture_output=True, text=True, check=False)


def test_the_tree_passes_mypy_strict() -> None:
    done = mypy(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_mypy_refuses_what_strict_mode_refuses(tmp_path: Path) -> None:
    """The configuration is strict: an unannotated function and a wrong return type are errors."""
    probe = tmp_path / "probe.py"
    probe.write_text('def untyped(value):\n    return value\n\n\ndef wrong() -> int:\n    return "text"\n')
    done = mypy(tmp_path, "--config-file", str(ROOT / "pyproject.toml"), str(probe))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[no-untyped-def]" in done.stdout and "[return-value]" in done.stdout


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def oversized(root: Path) -> list[str]:
    """Every module under `root`'s hub/ and sectors/ (generated migration revisions aside) longer
    than MAX_MODULE_LINES, and every function or method, decorators included, longer than
    MAX_FUNCTION_LINES: each as `path: what (lines)`."""
    found = []
    for package in ("hub", "sectors"):
        for path in sorted((root / package).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if "/migrations/versions/" in name:
                continue
            text = path.read_text(encoding="utf-8")
            if (lines := len(text.splitlines())) > MAX_MODULE_LINES:
                found.append(f"{name}: the module ({lines})")
            for node in ast.walk(ast.parse(text, filename=name)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                    start = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
                    if (lines := node.end_lineno - start + 1) > MAX_FUNCTION_LINES:
                        found.append(f"{name}: {node.name}, line {node.lineno} ({lines})")
    return found


def test_no_module_or_function_is_oversized() -> None:
    assert oversized(ROOT) == []


def _function(name: str, lines: int, indent: str = "") -> str:
    """A decorated function `lines` long, decorator included."""
    body = "".join(f"{indent}    value = {n}\n" for n in range(lines - 2))
    return f"{indent}@decorator\n{indent}async def {name}() -> None:\n{body}"


def test_the_size_check_finds_an_oversized_module_and_function(tmp_path: Path) -> None:
    """The limits are inclusive; a method is a function; migration revisions are left alone."""
    for folder in ("hub/api", "sectors/civic/migrations/versions"):
        (tmp_path / folder).mkdir(parents=True)
    fits = _function("fits", MAX_FUNCTION_LINES)
    (tmp_path / "hub/api/fits.py").write_text(fits + "\n" * (MAX_MODULE_LINES - MAX_FUNCTION_LINES))
    (tmp_path / "hub/api/long.py").write_text("class Holder:\n" + _function("long", MAX_FUNCTION_LINES + 1, "    "))
    (tmp_path / "sectors/civic/big.py").write_text("value = 0\n" * (MAX_MODULE_LINES + 1))
    (tmp_path / "sectors/civic/migrations/versions/0001_first.py").write_text("value = 0\n" * 1000)
    assert oversized(tmp_path) == [
        f"hub/api/long.py: long, line 3 ({MAX_FUNCTION_LINES + 1})",
        f"sectors/civic/big.py: the module ({MAX_MODULE_LINES + 1})",
    ]


def test_the_mutation_runner_names_modules_and_tests_that_exist_and_every_sectors_workflows() -> None:
    """`./dev mutate` without a name runs every rule module it lists: a module moved or split
    leaves no stale name there, and each workflow a sector adds is measured too."""
    from tests.mutation import MODULES

    named = {module.path for module in MODULES}
    for module in MODULES:
        assert (ROOT / module.path).is_file(), module.path
        # pytest's own options among them (`--deselect`) name no file; a node ID's file is before its `::`.
        named_files = [tests.partition("::")[0] for tests in module.tests if not tests.startswith("-")]
        assert all((ROOT / tests).exists() for tests in named_files), module
    workflows = {
        str(path.relative_to(ROOT))
        for path in (ROOT / "sectors").glob("*/workflows/*.py")
        if path.name != "__init__.py"
    }
    assert workflows <= named, sorted(workflows - named)
