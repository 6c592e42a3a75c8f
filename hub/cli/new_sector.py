"""`python -m hub new-sector NAME`: a sector package under sectors/NAME/, and what is left to do.

The package has the files every sector has (a manifest, one table, its type, a declared loader,
the namespace on `Person`, one mutation, a seed, the first migration that makes its table) and
imports only `hub.contract`, so it passes the contract tests as written once it is registered; its
own tests go to tests/sectors/NAME/. The files are the templates of hub/cli/sector_template/ with
the names filled in. Registering it is left to the developer, who is told the exact steps: the
registry and the import rules are read by people, and a generated edit to them would be reviewed
less.

This module stays cheap to import (the CLI imports it to build its parser): the registry and the
schema are read only when the command runs.
"""

from __future__ import annotations

import argparse
import keyword
import re
import string
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.settings import Settings

TEMPLATES = Path(__file__).resolve().parent / "sector_template"
SECTOR_FILES = ("__init__.py", "models.py", "types.py", "loaders.py", "person.py", "mutations.py", "seed.py")
NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MAX_NAME = 30  # its tables' and types' names stay well inside PostgreSQL's 63 characters
MAX_TITLE = 40  # a title fits in the generated lines without breaking the 120-column format
BAD_TITLE = re.compile(r'["\\\x00-\x1f\x7f]')
RESERVED = {"identity": "the hub's own subgraph and access sector", "hub": "the hub's own migration history"}


class Refused(ValueError):
    """A NAME or title the command will not write: the message says why."""


@dataclass(frozen=True)
class SectorNames:
    """Everything the templates name: `gold_souq` -> field `goldSouq`, types `GoldSouq…`."""

    name: str
    title_en: str
    title_ar: str

    @property
    def field(self) -> str:
        first, *rest = self.name.split("_")
        return first + "".join(part.capitalize() for part in rest)

    @property
    def type_prefix(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def graphql_names(self) -> tuple[str, ...]:
        """The types and the mutation field the templates add to the schema."""
        prefix = self.type_prefix
        return (
            f"{prefix}OfPerson",
            f"{prefix}Record",
            f"{prefix}RecordStatus",
            f"{prefix}RecordOpened",
            f"Open{prefix}RecordInput",
            f"Open{prefix}RecordResult",
            f"open{prefix}Record",
        )

    def substitutions(self) -> dict[str, str]:
        return {
            "name": self.name,
            "field": self.field,
            "Type": self.type_prefix,
            "title_en": self.title_en,
            "title_ar": self.title_ar,
        }


@dataclass(frozen=True)
class Taken:
    """What a new sector may not be called: names, fields, tables and GraphQL names in use."""

    sectors: dict[str, str]  # sector name -> field name
    person_fields: frozenset[str]
    tables: frozenset[str]
    graphql_names: frozenset[str]


def taken_names() -> Taken:
    """Read from the hub as installed here: the registry, `Person`'s own fields, every table and
    the composed schema's types and root fields."""
    from strawberry.types.base import get_object_definition
    from strawberry.utils.str_converters import to_camel_case

    from hub.api.schema import schema_for
    from hub.identity.types import PersonCore
    from hub.migrations import components
    from hub.registry import installed_sectors

    sectors = installed_sectors()
    schema = schema_for(sectors, None)._schema
    roots = [root for root in (schema.query_type, schema.mutation_type) if root is not None]
    return Taken(
        sectors={sector.name: sector.field_name for sector in sectors},
        person_fields=frozenset(
            field.graphql_name or to_camel_case(field.python_name)
            for field in get_object_definition(PersonCore, strict=True).fields
        ),
        tables=frozenset(table for component in components(sectors) for table in component.tables),
        graphql_names=frozenset(schema.type_map) | {field for root in roots for field in root.fields},
    )


def check_names(name: str, title_en: str | None, title_ar: str | None, taken: Taken) -> SectorNames:
    """The sector's names, or Refused with the reason."""
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise Refused(
            f"{name!r} is not a sector name: lower-case letters, digits and single underscores, "
            "starting with a letter (a Python identifier that is not a keyword), e.g. gold_souq"
        )
    if len(name) > MAX_NAME:
        raise Refused(f"{name!r} is longer than {MAX_NAME} characters")
    if name in RESERVED:
        raise Refused(f"{name!r} is {RESERVED[name]}")
    if name in taken.sectors:
        raise Refused(f"a sector named {name!r} is already installed")
    english = _title(title_en, name.replace("_", " ").title(), "--title-en")
    names = SectorNames(name, english, _title(title_ar, english, "--title-ar"))
    if names.field in taken.sectors.values():
        holder = next(sector for sector, field in taken.sectors.items() if field == names.field)
        raise Refused(f"its field {names.field!r} is already the sector {holder!r}'s")
    if names.field in taken.person_fields:
        raise Refused(f"its field {names.field!r} is already one of Person's own fields")
    near = sorted(table for table in taken.tables if table.startswith(f"{name}_"))
    near += sorted(f"the sector {sector!r}" for sector in taken.sectors if name.startswith(f"{sector}_"))
    if near:
        raise Refused(f"its tables ({name}_…) would be mistaken for others: {', '.join(near)}")
    clashes = [graphql for graphql in names.graphql_names if graphql in taken.graphql_names]
    if clashes:
        raise Refused(f"the schema already has {', '.join(clashes)}")
    return names


def _title(given: str | None, default: str, option: str) -> str:
    title = " ".join((given if given is not None else default).split())
    if not title or len(title) > MAX_TITLE or BAD_TITLE.search(title):
        raise Refused(f"{option} must be 1 to {MAX_TITLE} characters, without quotes or backslashes")
    return title


def render(template: str, names: SectorNames) -> str:
    return string.Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(names.substitutions())


def planned_files(root: Path, names: SectorNames) -> dict[Path, str]:
    """Every file to write (relative to `root`) -> its text. The tests go to tests/sectors/NAME/
    when the project has tests/sectors/."""
    package = Path("sectors") / names.name
    files = {package / file: render(f"{file}.tmpl", names) for file in SECTOR_FILES}
    files[package / "migrations" / "__init__.py"] = render("migrations__init__.py.tmpl", names)
    revision = uuid.uuid4().hex[-12:]  # as Alembic draws a revision's id
    files[package / "migrations" / "versions" / f"{revision}_{names.name}_tables.py"] = string.Template(
        (TEMPLATES / "migrations_first_revision.py.tmpl").read_text(encoding="utf-8")
    ).substitute(names.substitutions(), revision=revision)
    if (root / "tests" / "sectors").is_dir():
        tests = Path("tests") / "sectors" / names.name
        files[tests / "__init__.py"] = ""
        files[tests / f"test_{names.name}.py"] = render("test_sector.py.tmpl", names)
    return files


def write_sector(root: Path, names: SectorNames) -> list[Path]:
    """Writes the files, or nothing at all when one of their folders exists; returns them."""
    if not (root / "sectors" / "__init__.py").is_file():
        raise Refused(f"{root.resolve()} has no sectors/ package: run the command from the project's root")
    files = planned_files(root, names)
    existing = sorted({str(path.parent) for path in files if (root / path.parent).exists()})
    if existing:
        raise Refused(f"{', '.join(existing)} already exists")
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return list(files)


def remaining_steps(names: SectorNames, written: list[Path]) -> str:
    """What the developer does next, in order, with the exact lines to add."""
    module = f"sectors.{names.name}"
    folders: dict[Path, list[str]] = {}
    for path in written:
        folders.setdefault(path.parent, []).append(path.name)
    wrote = "".join(f"Wrote {folder}/: {', '.join(files)}\n" for folder, files in folders.items())
    arabic = "" if names.title_ar != names.title_en else " (its Arabic title is the English one: set title_ar)"
    return f"""{wrote}It imports only hub.contract and passes the sector contract tests once registered{arabic}.

Left to do:
  1. Register it. In hub/registry.py, add to BUILT_IN the line
         "{module}",
     and in pyproject.toml add "{module}" to `modules` of the import-linter contract
     "Sectors are independent of each other".
     (A sector kept in another repository is not added to either: its own pyproject.toml declares
         [project.entry-points."rabt.sectors"]
         {names.name} = "<its package>:SECTOR"
     and its package imports only hub.contract.)
  2. ./dev hub schema          rewrites schemas/hub.graphql, schemas/subgraphs/{names.name}.graphql
                               and schemas/supergraph.graphql
  3. ./dev hub compose-file    adds the {names.name} subgraph to docker-compose.yml
  4. ./dev test tests/test_architecture.py tests/sectors
                               the import rules, the contract tests and the sector's own tests
  5. Commit sectors/{names.name}/, its tests, hub/registry.py, pyproject.toml, schemas/ and docker-compose.yml.
Tables: sectors/{names.name}/migrations/versions/ holds the revision that makes them as models.py has them.
After each change to models.py, write the next one and read it:
    ./dev hub migrate revision --component {names.name} -m "what changes"
`./dev hub migrate upgrade` brings a database to them (the embedded demo does it at start); in a
database seeded before, {names.name}'s tables are empty until `./dev hub seed --reset` seeds again.
"""


def add_parser(commands: Any) -> None:
    """Registers `new-sector` on the CLI's subcommands (`parser.add_subparsers(...)`)."""
    command = commands.add_parser(
        "new-sector", help="write a new sector package under sectors/NAME/ and say how to register it"
    )
    command.add_argument("name", help="the sector's name: lower-case words joined by _, e.g. gold_souq")
    command.add_argument("--title-en", default=None, help="its English title (default: from NAME)")
    command.add_argument("--title-ar", default=None, help="its Arabic title (default: the English one)")
    command.add_argument("--root", default=".", help="the project's root, where sectors/ is (default: here)")
    command.set_defaults(run=_run)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        names = check_names(args.name, args.title_en, args.title_ar, taken_names())
        written = write_sector(Path(args.root), names)
    except Refused as refused:
        print(f"new-sector: {refused}; nothing written", file=sys.stderr)
        return 2
    print(remaining_steps(names, written), end="")
    return 0
