"""`python -m hub new-sector NAME`: a sector that passes the contract tests as written and answers
through the hub and as its own subgraph; a NAME or title it must not take is refused.

The scaffold runs in a copy of the project (hub/, sectors/, tests/, pyproject.toml), where the
steps it prints are then followed. Every process that uses the new sector has the copy on its
path, and PYTHONSAFEPATH keeps the working directory (this repository) off it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hub.cli import main
from hub.cli.new_sector import Refused, Taken, check_names
from hub.registry import installed_sectors
from tests.federation.processes import hub_command
from tests.federation.test_outside_sector import (
    COMPOSE_SCRIPT,
    FAMILY_HEAD,
    PEOPLE,
    QUERY_SCRIPT,
    ask_subgraph,
    environment,
    python,
    python_json,
)
from tests.test_architecture import ROOT, SECTOR_FILES, copy_of_project, lint_imports, mypy

NAME = "gold_souq"
LONGEST = "abcdefghij_klmnopqrst_uvwxyz12"  # 30 characters, the most a name may have
SAFE_PATH = {"PYTHONSAFEPATH": "1"}
INDEPENDENT = "Sectors are independent of each other"


def in_project(root: Path, *command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`command` run in the copy of the project, with the copy (not this repository) on the path."""
    return subprocess.run(
        command,
        cwd=root,
        env=environment(root, **SAFE_PATH),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def new_sector(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return in_project(root, *hub_command("new-sector", *arguments))


def register(root: Path, printed: str, name: str) -> None:
    """Follows the printed step 1 for a built-in sector: the line in BUILT_IN, the module in the
    independence contract."""
    line = f'"sectors.{name}",'
    assert f"\n         {line}\n" in printed and f'"{INDEPENDENT}"' in printed
    registry = root / "hub" / "registry.py"
    text = registry.read_text()
    end = text.index("\n)\n", text.index("BUILT_IN: tuple[str, ...] = ("))
    registry.write_text(f"{text[:end]}\n    {line}{text[end:]}")
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    contract = text.index(f'name = "{INDEPENDENT}"')
    end = text.index("]", text.index("modules = [", contract))
    pyproject.write_text(f'{text[:end]}, "sectors.{name}"{text[end:]}')
    contracts = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]["contracts"]
    assert f"sectors.{name}" in next(c for c in contracts if c["name"] == INDEPENDENT)["modules"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of the project with `gold_souq` scaffolded and registered as its steps say, and the
    longest name (with the longest titles) scaffolded beside it; and what the command printed."""
    root = copy_of_project(
        tmp_path_factory.mktemp("project"), ("hub", "sectors", "tests", "pyproject.toml"), without=("__pycache__",)
    )
    (root / "federation").symlink_to(ROOT / "federation")  # the pinned composer
    done = new_sector(root, NAME, "--title-en", "Gold Souq", "--title-ar", "سوق الذهب")
    assert done.returncode == 0, done.stderr
    longest = new_sector(root, LONGEST, "--title-en", "E" * 40, "--title-ar", "ع" * 40)
    assert longest.returncode == 0, longest.stderr
    register(root, done.stdout, NAME)
    return root, done.stdout


def test_the_sector_has_the_files_every_sector_has_and_the_steps_are_printed(project: tuple[Path, str]) -> None:
    root, printed = project
    assert {path.name for path in (root / "sectors" / NAME).iterdir()} == SECTOR_FILES | {"migrations"}
    (first,) = (root / "sectors" / NAME / "migrations" / "versions").glob("*.py")
    assert re.fullmatch(rf"[0-9a-f]{{12}}_{NAME}_tables\.py", first.name)
    assert {path.name for path in (root / "tests" / "sectors" / NAME).iterdir()} == {"__init__.py", f"test_{NAME}.py"}
    steps = ("./dev hub schema", "./dev hub compose-file", '[project.entry-points."rabt.sectors"]', "./dev test")
    for step in (*steps, f"./dev hub migrate revision --component {NAME}"):
        assert step in printed


def test_its_files_pass_ruff_mypy_and_the_import_rules(project: tuple[Path, str]) -> None:
    root, _ = project
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is a test dependency"
    written = [f"{folder}/{name}" for folder in ("sectors", "tests/sectors") for name in (NAME, LONGEST)]
    for command in ([ruff, "check", *written], [ruff, "format", "--check", *written]):
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    linted = lint_imports(root)
    assert linted.returncode == 0 and "0 broken" in linted.stdout, linted.stdout + linted.stderr
    checked = mypy(root, *(f"sectors/{name}" for name in (NAME, LONGEST)))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_it_passes_the_contract_tests_and_its_own_at_once(project: tuple[Path, str]) -> None:
    root, _ = project
    done = in_project(
        root, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", NAME, "tests/sectors", timeout=600
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    counts = {word: int(number) for number, word in re.findall(r"(\d+) (passed|skipped|failed)", done.stdout)}
    # The seed; then on each database (PostgreSQL skips where it is not reachable, outside CI) its
    # migrations, one statement per loader and its own four tests.
    assert counts.get("passed", 0) + counts.get("skipped", 0) == 1 + 2 * (1 + 1 + 4), done.stdout[-2000:]
    assert counts.get("passed", 0) >= 1 + 1 + 1 + 4


RECORDS = "query($id: ID!) { person(id: $id) { id goldSouq { records { status openedOn { gregorian hijri } } } } }"


def test_it_answers_through_the_hub(project: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = project
    answers = python_json(root, QUERY_SCRIPT, str(tmp_path), PEOPLE, FAMILY_HEAD, RECORDS, NAME, "traffic", **SAFE_PATH)
    as_its_officer = answers[NAME]
    assert as_its_officer["status"] == 200 and "errors" not in as_its_officer, as_its_officer
    records = as_its_officer["data"]["person"]["goldSouq"]["records"]
    assert [record["status"] for record in records] == ["OPEN", "CLOSED"]
    assert records[0]["openedOn"]["hijri"] is not None
    as_traffic_officer = answers["traffic"]
    assert as_traffic_officer["data"]["person"] == {"id": FAMILY_HEAD, "goldSouq": None}
    assert [error["extensions"]["code"] for error in as_traffic_officer["errors"]] == ["FORBIDDEN"]


def test_it_is_a_federation_subgraph_that_answers_for_a_person(project: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = project
    asked = ask_subgraph(root, tmp_path, NAME, "{ goldSouq { records { status } } }", **SAFE_PATH)
    assert asked.sectors == [*(sector.name for sector in installed_sectors()), NAME]
    assert 'type Person @key(fields: "id")' in asked.sdl and "goldSouq: GoldSouqOfPerson" in asked.sdl
    assert "nameEn" not in asked.sdl  # one sector per subgraph; identity answers the rest
    records = [{"status": "OPEN"}, {"status": "CLOSED"}]
    assert asked.entities == {"data": {"_entities": [{"goldSouq": {"records": records}}]}}


@pytest.mark.node
def test_it_composes_into_the_supergraph(project: tuple[Path, str]) -> None:
    from hub.api.federation import node_available

    if not node_available():
        pytest.skip("Node.js federation peers missing (./dev test installs them)")
    root, _ = project
    supergraph = python(root, COMPOSE_SCRIPT, **SAFE_PATH)
    assert 'GOLD_SOUQ @join__graph(name: "gold_souq", url: "http://127.0.0.1:4006/graphql")' in supergraph
    assert "goldSouq: GoldSouqOfPerson @join__field(graph: GOLD_SOUQ)" in supergraph


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["1souq"], "is not a sector name"),
        (["Souq"], "is not a sector name"),
        (["gold-souq"], "is not a sector name"),
        (["gold__souq"], "is not a sector name"),
        (["class"], "is not a sector name"),
        (["a" * 31], "longer than 30 characters"),
        (["traffic"], "a sector named 'traffic' is already installed"),
        (["identity"], "the hub's own subgraph"),
        (["kind"], "'kind' is already one of Person's own fields"),
        (["name_en"], "'nameEn' is already one of Person's own fields"),
        (["audit"], "would be mistaken for others: audit_outbox, audit_subjects, audit_trail"),
        (["traffic_fines"], "would be mistaken for others: the sector 'traffic'"),
        (["gold_souq", "--title-en", 'Gold "Souq"'], "--title-en must be 1 to 40 characters"),
        (["gold_souq", "--title-ar", " "], "--title-ar must be 1 to 40 characters"),
        (["gold_souq", "--title-ar", "ع" * 41], "--title-ar must be 1 to 40 characters"),
    ],
)
def test_a_name_or_title_it_may_not_take_is_refused_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], reason: str
) -> None:
    (tmp_path / "sectors").mkdir()
    (tmp_path / "sectors" / "__init__.py").touch()
    assert main(["new-sector", *arguments, "--root", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert reason in err and err.endswith("; nothing written\n") and out == ""
    assert [path.name for path in tmp_path.rglob("*")] == ["sectors", "__init__.py"]


def test_a_sector_folder_that_exists_or_a_folder_without_sectors_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new-sector", NAME, "--root", str(tmp_path)]) == 2
    assert "has no sectors/ package: run the command from the project's root" in capsys.readouterr().err
    (tmp_path / "sectors" / NAME).mkdir(parents=True)
    (tmp_path / "sectors" / "__init__.py").touch()
    (tmp_path / "tests" / "sectors").mkdir(parents=True)
    assert main(["new-sector", NAME, "--root", str(tmp_path)]) == 2
    assert f"sectors/{NAME} already exists" in capsys.readouterr().err
    assert not (tmp_path / "tests" / "sectors" / NAME).exists() and not list((tmp_path / "sectors" / NAME).iterdir())


def test_a_field_or_graphql_name_another_sector_holds_is_refused() -> None:
    """Sectors from other repositories choose their own field names; the schema's names are all checked."""
    nothing = Taken(sectors={}, person_fields=frozenset(), tables=frozenset(), graphql_names=frozenset())
    assert check_names(NAME, None, None, nothing).field == "goldSouq"
    with pytest.raises(Refused, match="its field 'goldSouq' is already the sector 'bullion''s"):
        check_names(NAME, None, None, Taken({"bullion": "goldSouq"}, frozenset(), frozenset(), frozenset()))
    with pytest.raises(Refused, match="the schema already has GoldSouqRecordStatus"):
        check_names(NAME, None, None, Taken({}, frozenset(), frozenset(), frozenset({"GoldSouqRecordStatus"})))
