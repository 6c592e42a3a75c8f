"""Migrations: head is exactly what the models say, for every component; a database made before
migrations (tests/fixtures/) is upgraded with every row and the audit chain kept; the hub refuses
a database behind its migrations and the embedded demo migrates itself; nothing drops the audit
trail unless told to."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Column, Connection, MetaData, String, func, inspect, select
from sqlalchemy.engine import make_url

from hub.audit.records import AuditRecord
from hub.cli import main
from hub.data.db import Database
from hub.identity.models import PersonRow
from hub.migrations import (
    Component,
    MigrationError,
    check,
    components,
    differences,
    downgrade,
    revision,
    statuses,
    upgrade,
)
from hub.registry import installed_sectors
from hub.settings import Settings
from hub.web.app import create_app
from tests.conftest import connected

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FOUND = components(installed_sectors())
HUB, PASSPORTS = FOUND[0], next(component for component in FOUND if component.name == "passports")
FIXTURE_AUDIT_RECORDS = 16
UPGRADE = "run: python -m hub migrate upgrade"


@pytest.fixture
def cli(empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`python -m hub` in this process, on `empty_url`; a server it would start fails the test."""

    def served(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the hub started serving")

    monkeypatch.setenv("RABT_DATABASE_URL", empty_url)
    monkeypatch.setenv("RABT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RABT_SECTORS", raising=False)
    monkeypatch.setattr(uvicorn, "run", served)
    yield empty_url


def made_before_migrations(url: str) -> None:
    """Loads the fixture: a database made, populated and audited by the hub before it had
    migrations (a seed of 150 people, officers' and a sponsor's reads, an exit/re-entry visa
    issued, an account registered and signed in)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(str(parsed.database)) as connection:
            connection.executescript((FIXTURES / "pre_migrations.sqlite.sql").read_text(encoding="utf-8"))
        return

    async def load() -> None:
        async with connected(parsed) as connection:
            await connection.execute((FIXTURES / "pre_migrations.postgresql.sql").read_text(encoding="utf-8"))

    asyncio.run(load())


async def on_connection(url: str, work: Any, *args: Any) -> Any:
    db = Database(url)
    try:
        async with db.read_engine.connect() as connection:
            return await connection.run_sync(work, *args)
    finally:
        await db.dispose()


def _differences(connection: Connection, found: Sequence[Component]) -> dict[str, list[Any]]:
    return {component.name: differences(connection, component, found) for component in found}


def compared(url: str, found: Sequence[Component] = FOUND) -> dict[str, list[Any]]:
    """What autogenerate finds between the database and each component's models."""
    return asyncio.run(on_connection(url, _differences, found))


def _rows(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    tables = MetaData()
    tables.reflect(connection)
    return {
        name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
        for name, table in sorted(tables.tables.items())
        if not name.startswith("alembic_version_")
    }


def every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    return asyncio.run(on_connection(url, _rows))


def _projected(connection: Connection, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    tables = MetaData()
    tables.reflect(connection)
    return {
        name: sorted(
            (tuple(row) for row in connection.execute(select(*(tables.tables[name].c[c] for c in names)))), key=repr
        )
        for name, names in sorted(columns.items())
    }


def columns_of(url: str) -> dict[str, list[str]]:
    """Each table's columns (the migrations' version tables aside)."""
    return asyncio.run(on_connection(url, _columns))


def _columns(connection: Connection) -> dict[str, list[str]]:
    found = inspect(connection)
    return {
        name: [column["name"] for column in found.get_columns(name)]
        for name in found.get_table_names()
        if not name.startswith("alembic_version_")
    }


def rows_in(columns: dict[str, list[str]], url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of these tables now, in these columns: what a later revision added is left out."""
    return asyncio.run(on_connection(url, lambda c: _projected(c, columns)))


def count(url: str, table: Any) -> int:
    return asyncio.run(on_connection(url, lambda c: c.execute(select(func.count()).select_from(table)).scalar_one()))


def changed(component: Component, table: str, *, add: Column[Any] | None = None, drop: bool = False) -> Component:
    """The component with its models changed and its revisions not: a column added to `table`,
    or `table` dropped."""
    copies = []
    for metadata in component.metadata:
        copy = MetaData(naming_convention=metadata.naming_convention)
        for original in metadata.sorted_tables:
            if drop and original.name == table:
                continue
            made = original.to_metadata(copy)
            if add is not None and original.name == table:
                made.append_column(add)
        copies.append(copy)
    return dataclasses.replace(component, metadata=tuple(copies))


def test_head_is_exactly_what_the_models_say_for_every_component(empty_url: str) -> None:
    asyncio.run(upgrade(empty_url, FOUND))
    assert compared(empty_url) == {component.name: [] for component in FOUND}
    asyncio.run(check(empty_url, FOUND))


def test_a_model_changed_without_a_revision_differs_from_head(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}"
    asyncio.run(upgrade(url, FOUND))
    added = changed(HUB, "identity_people", add=Column("nickname", String(40)))
    found = compared(url, [added, *FOUND[1:]])
    assert [(kind, column.name) for kind, _schema, _table, column in found["hub"]] == [("add_column", "nickname")]
    assert all(not found[component.name] for component in FOUND[1:])
    dropped = compared(url, [changed(HUB, "audit_trail", drop=True), *FOUND[1:]])["hub"]
    assert [(kind, item.name) for kind, item in dropped] == [
        ("remove_index", "ix_audit_trail_request_id"),
        ("remove_table", "audit_trail"),
    ]


def test_a_revision_is_written_for_a_model_change_and_brings_a_database_to_it(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    shutil.copytree(PASSPORTS.versions, versions, ignore=shutil.ignore_patterns("__pycache__"))
    passports = dataclasses.replace(PASSPORTS, versions=versions)
    assert asyncio.run(revision(passports, "Nothing new")) is None
    remarks = changed(passports, "passports_visas", add=Column("remarks", String(200)))
    written = asyncio.run(revision(remarks, "Visa remarks"))
    assert written is not None and written.parent == versions and written.name.endswith("_visa_remarks.py")
    assert 'batch_op.add_column(sa.Column("remarks", sa.String(length=200), nullable=True))' in written.read_text()
    url = f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}"
    asyncio.run(upgrade(url, [remarks]))
    assert compared(url, [remarks]) == {"passports": []}
    asyncio.run(downgrade(url, remarks, "-1", among=[remarks]))
    assert compared(url, [passports]) == {"passports": []}
    by_hand = asyncio.run(revision(passports, "By hand", empty=True))
    assert by_hand is not None and "def upgrade() -> None:\n    pass\n" in by_hand.read_text()
    assert f'down_revision = "{written.name.split("_")[0]}"' in by_hand.read_text()


def test_a_database_made_before_migrations_is_upgraded_with_every_row_and_the_chain_kept(
    cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    made_before_migrations(cli)
    before = every_row(cli)
    columns = columns_of(cli)
    assert all(before.values()), [name for name, rows in before.items() if not rows]
    assert len(before["audit_trail"]) == FIXTURE_AUDIT_RECORDS
    assert main(["migrate", "upgrade"]) == 0
    moved = capsys.readouterr().out
    for component in FOUND:
        assert f"migrate: {component.name}: tables made before migrations, adopted at" in moved
    assert rows_in(columns, cli) == before  # later revisions add columns: every old value stays
    assert compared(cli) == {component.name: [] for component in FOUND}
    assert main(["audit-verify"]) == 0
    assert capsys.readouterr().out == f"audit chain intact: {FIXTURE_AUDIT_RECORDS} records\naudit index: up to date\n"
    assert main(["migrate", "current"]) == 0
    assert capsys.readouterr().out.count("(head)") == len(FOUND)


def test_serve_and_subgraphs_refuse_a_database_behind_its_migrations(
    cli: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if cli.startswith("sqlite"):
        monkeypatch.setenv("RABT_MODE", "production")  # SQLite in demo mode migrates itself
    for command in (["serve"], ["subgraph", "passports"]):
        assert main(command) == 1
        said = capsys.readouterr().err
        assert said.startswith("rabt: the database is behind its migrations:\n  hub: nothing, head "), said
        assert said.endswith(f"\n{UPGRADE}\n")
    assert every_row(cli) == {}  # not a table made
    asyncio.run(upgrade(cli, FOUND))
    asyncio.run(downgrade(cli, PASSPORTS, "base", among=FOUND))
    assert main(["serve"]) == 1
    (head,) = next(status for status in asyncio.run(statuses(cli, FOUND)) if status.component == "passports").heads
    assert capsys.readouterr().err.splitlines()[1:] == [f"  passports: nothing, head {head}", UPGRADE]


async def test_the_app_will_not_start_on_a_database_behind_its_migrations(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}", data_dir=tmp_path, seed_people=0, mode="production"
    )
    app = create_app(settings)
    with pytest.raises(MigrationError, match=f"(?s)behind its migrations:\n  hub: nothing, head .*\n{UPGRADE}$"):
        async with app.router.lifespan_context(app):
            pass


async def test_the_embedded_demo_migrates_itself(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}"
    settings = Settings(database_url=url, data_dir=tmp_path, seed_people=0)
    assert settings.migrates_itself
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        found = await statuses(url, FOUND)
    assert [status.at_head for status in found] == [True] * len(FOUND)


async def test_a_failing_revision_leaves_the_database_as_it_was(empty_url: str, tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    shutil.copytree(HUB.versions, versions, ignore=shutil.ignore_patterns("__pycache__"))
    revisions = [path.name.split("_")[0] for path in versions.glob("*.py")]
    below = {
        revision
        for path in versions.glob("*.py")
        for revision in revisions
        if f'"{revision}"' in path.read_text().split("down_revision", 1)[1][:40]
    }
    (base,) = [revision for revision in revisions if revision not in below]  # the head
    (versions / "feedbeef0000_fails.py").write_text(
        f'"""Makes a table, then fails."""\n\nimport sqlalchemy as sa\nfrom alembic import op\n\n'
        f'revision = "feedbeef0000"\ndown_revision = "{base}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        "def upgrade() -> None:\n"
        '    op.create_table("identity_scratch", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    raise RuntimeError("a revision that fails half way")\n\n\n'
        "def downgrade() -> None:\n    pass\n"
    )
    failing = [dataclasses.replace(HUB, versions=versions), *FOUND[1:]]
    with pytest.raises(RuntimeError, match="half way"):
        await upgrade(empty_url, failing)
    assert [status.current for status in await statuses(empty_url, FOUND)] == [()] * len(FOUND)
    assert await on_connection(empty_url, _rows) == {}


def test_seed_reset_keeps_the_audit_trail_unless_told_to_empty_it(cli: str, capsys: pytest.CaptureFixture[str]) -> None:
    made_before_migrations(cli)
    assert main(["seed", "--drop-audit"]) == 2
    assert main(["seed", "--reset", "--people", "60"]) == 0
    assert f"seed: kept the audit trail ({FIXTURE_AUDIT_RECORDS} records)" in capsys.readouterr().out
    assert count(cli, PersonRow.__table__) == 60
    assert count(cli, AuditRecord.__table__) == FIXTURE_AUDIT_RECORDS
    assert main(["audit-verify"]) == 0
    assert main(["seed", "--reset", "--drop-audit", "--people", "60"]) == 0
    assert count(cli, AuditRecord.__table__) == 0
    assert count(cli, PersonRow.__table__) == 60


def test_no_migration_drops_the_audit_trail_unless_told_to(cli: str, capsys: pytest.CaptureFixture[str]) -> None:
    made_before_migrations(cli)
    assert main(["migrate", "upgrade"]) == 0
    before = every_row(cli)
    assert main(["migrate", "downgrade", "--component", "hub", "base"]) == 1
    said = capsys.readouterr().err
    assert said == (
        "migrate: this would drop audit records (audit_trail, audit_subjects, audit_outbox); nothing changed. "
        "Add --drop-audit if they are to be lost for good.\n"
    )
    assert every_row(cli) == before
    asyncio.run(check(cli, FOUND))
    assert main(["migrate", "downgrade", "--component", "hub", "base", "--drop-audit"]) == 0
    assert "audit_trail" not in every_row(cli)
