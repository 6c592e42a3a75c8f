"""Alembic over the components: upgrade, downgrade, where each stands, the check `serve` makes,
new revisions, and the comparison of a database with the models.

Alembic runs online on a connection this module opens: an async engine's connection handed to
Alembic's synchronous API through `run_sync`. Every upgrade or downgrade is one transaction over
all the components it moves (PostgreSQL's DDL is transactional; SQLite is driven so that its DDL
is too), taken under a lock so that two processes never migrate at once, and it never ends with
fewer audit records than it began with unless the operator said `--drop-audit`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from hub.audit.records import AuditBase
from hub.audit.relay import RelayBase
from hub.data.db import INVALID_CATALOG_NAME, Database, engine_options
from hub.migrations.components import Component, MigrationError

SCRIPT_LOCATION = Path(__file__).parent
"""env.py and script.py.mako, shared by every component; each keeps its revisions in its own folder."""
UPGRADE_COMMAND = "python -m hub migrate upgrade"
LOCK_KEY = 0x72616274  # "rabt": the PostgreSQL advisory lock every migrating process takes
AUDIT_TABLES = (*AuditBase.metadata.tables, *RelayBase.metadata.tables)

Progress = Callable[[str], None]


def _config(component: Component, connection: Connection | None = None, **attributes: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("version_locations", str(component.versions))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes.update(component=component, connection=connection, **attributes)
    return config


def _options(component: Component, among: Sequence[Component]) -> dict[str, Any]:
    """How Alembic sees a component: its models, its version table, only its own tables (the
    others' and their version tables are not its business), batch operations so that a generated
    revision can alter a table on SQLite too."""

    def include_name(name: str | None, kind: str, _parents: Any) -> bool:
        return kind != "table" or (name is not None and component.owns(name, among))

    return dict(
        target_metadata=list(component.metadata),
        version_table=component.version_table,
        include_name=include_name,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
    )


def run_env() -> None:
    """hub/migrations/env.py: migrate on the connection the runner handed over."""
    from alembic import context

    attributes = context.config.attributes
    connection = attributes.get("connection")
    if connection is None:
        raise MigrationError(f"migrations run through `python -m hub migrate`, e.g. `{UPGRADE_COMMAND}`")
    component: Component = attributes["component"]
    context.configure(
        connection=connection,
        **_options(component, attributes.get("among", (component,))),
        **attributes.get("configure", {}),
    )
    with context.begin_transaction():
        context.run_migrations()


@dataclass(frozen=True)
class Status:
    """Where one component of a database stands."""

    component: str
    current: tuple[str, ...]
    heads: tuple[str, ...]
    unknown: tuple[str, ...]
    """Revisions the database holds that this code does not know: a newer Rabt migrated it."""

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.heads)

    def __str__(self) -> str:
        current = ", ".join(self.current) or "nothing"
        if self.at_head:
            return f"{self.component}: {current} (head)"
        return f"{self.component}: {current}, head {', '.join(self.heads) or 'nothing'}"


def _status(connection: Connection, component: Component) -> Status:
    script = ScriptDirectory.from_config(_config(component))
    context = MigrationContext.configure(connection, opts={"version_table": component.version_table})
    current = tuple(sorted(context.get_current_heads()))
    return Status(component.name, current, tuple(sorted(script.get_heads())), _unknown(script, current))


def _unknown(script: ScriptDirectory, revisions: Sequence[str]) -> tuple[str, ...]:
    unknown = []
    for revision in revisions:
        try:
            script.get_revision(revision)
        except CommandError:
            unknown.append(revision)
    return tuple(unknown)


async def statuses(url: str, found: Sequence[Component]) -> list[Status]:
    """Where each component stands; a PostgreSQL database that does not exist holds nothing yet."""
    db = Database(url)
    try:
        async with db.read_engine.connect() as connection:
            return [await connection.run_sync(_status, component) for component in found]
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) != INVALID_CATALOG_NAME:
            raise
        return [_status_of_nothing(component) for component in found]
    finally:
        await db.dispose()


def _status_of_nothing(component: Component) -> Status:
    heads = ScriptDirectory.from_config(_config(component)).get_heads()
    return Status(component.name, (), tuple(sorted(heads)), ())


async def check(url: str, found: Sequence[Component]) -> None:
    """Returns when every component is at its head; otherwise raises MigrationError saying why
    the hub will not serve this database, ending with what to run."""
    apart = [status for status in await statuses(url, found) if not status.at_head]
    if not apart:
        return
    lines = "\n".join(f"  {status}" for status in apart)
    if any(status.unknown for status in apart):
        raise MigrationError(
            f"the database holds revisions this hub does not know (a newer Rabt migrated it):\n{lines}\n"
            "run the Rabt that migrated it, or downgrade with it"
        )
    raise MigrationError(f"the database is behind its migrations:\n{lines}\nrun: {UPGRADE_COMMAND}")


@asynccontextmanager
async def _migrating(url: str) -> AsyncIterator[AsyncConnection]:
    """One connection in one transaction, holding the lock that keeps other migrators out.

    A connection of its own, not the hub's pools: SQLite must migrate with foreign keys off (a
    table rebuilt by a batch operation is dropped and copied, and with them on the drop would
    delete the rows that refer to it), and with the driver's own transaction handling off, so
    that DDL is inside the transaction; `BEGIN IMMEDIATE` takes the write lock at once. The
    foreign keys are checked before the commit instead.
    """
    await _create_if_missing(url)
    parsed = make_url(url)
    engine = create_async_engine(url, poolclass=NullPool, **engine_options(parsed))
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        event.listen(engine.sync_engine, "connect", _driver_leaves_transactions_alone)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
    try:
        async with engine.begin() as connection:
            if parsed.get_backend_name() == "postgresql":
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            yield connection
            if sqlite:
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise MigrationError(f"the migration leaves rows whose foreign keys point nowhere: {broken[:5]}")
    finally:
        await engine.dispose()


def _driver_leaves_transactions_alone(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


async def _create_if_missing(url: str) -> None:
    db = Database(url)
    try:
        await db.create_if_missing()
    finally:
        await db.dispose()


def _audit_rows(connection: Connection) -> dict[str, int]:
    present = inspect(connection).get_table_names()
    return {
        name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        for name in AUDIT_TABLES
        if name in present
    }


def _keep_the_audit_trail(connection: Connection, before: dict[str, int], drop_audit: bool) -> None:
    """Refuses (the transaction rolls back) a migration that dropped or emptied any of the audit
    trail, unless the operator asked for exactly that."""
    after = _audit_rows(connection)
    lost = [name for name, rows in before.items() if after.get(name, -1) < rows]
    if lost and not drop_audit:
        raise MigrationError(
            f"this would drop audit records ({', '.join(lost)}); nothing changed. "
            "Add --drop-audit if they are to be lost for good."
        )


async def upgrade(
    url: str,
    found: Sequence[Component],
    target: str = "head",
    *,
    among: Sequence[Component] = (),
    drop_audit: bool = False,
    progress: Progress = lambda _: None,
) -> list[str]:
    """Brings each component to `target` (all of them in one transaction) and returns what moved.
    `among` are the components whose tables are not theirs (default: `found` themselves).

    A database made before migrations (a component's tables present, no version table) is
    adopted: stamped at the component's first revision, which makes exactly those tables, then
    upgraded, then compared with the models; any difference refuses the whole upgrade.
    """
    if target == "head" and all(status.at_head for status in await statuses(url, found)):
        return []  # the usual start of the embedded demo: no lock taken, no audit record counted
    async with _migrating(url) as connection:
        moved = await connection.run_sync(_upgrade, found, among or found, target, drop_audit)
    for line in moved:
        progress(line)
    return moved


def _upgrade(
    connection: Connection, found: Sequence[Component], among: Sequence[Component], target: str, drop_audit: bool
) -> list[str]:
    audit = _audit_rows(connection)
    moved, adopted = [], []
    for component in found:
        config = _config(component, connection, among=among)
        base = _adopt(connection, component, among, config)
        if base:
            adopted.append(component)
            moved.append(f"{component.name}: tables made before migrations, adopted at {base}")
        before = _status(connection, component)
        command.upgrade(config, target)
        after = _status(connection, component)
        if after.current != before.current:
            moved.append(f"{component.name}: {', '.join(before.current) or 'nothing'} -> {', '.join(after.current)}")
    for component in adopted:
        found_differences = differences(connection, component, among)
        if found_differences:
            raise MigrationError(
                f"{component.name}: its tables made before migrations differ from its models after the upgrade; "
                f"nothing changed: {found_differences}"
            )
    _keep_the_audit_trail(connection, audit, drop_audit)
    return moved


def _adopt(connection: Connection, component: Component, among: Sequence[Component], config: Config) -> str | None:
    """Stamps a database made by `create_all` before migrations at the component's first revision."""
    tables = inspect(connection).get_table_names()
    if component.version_table in tables or not any(component.owns(table, among) for table in tables):
        return None
    bases = ScriptDirectory.from_config(config).get_bases()
    if len(bases) != 1:
        raise MigrationError(f"{component.name}: needs exactly one first revision to adopt its tables, has {bases}")
    command.stamp(config, bases[0])
    return bases[0]


async def downgrade(
    url: str,
    component: Component,
    target: str,
    *,
    among: Sequence[Component],
    drop_audit: bool = False,
    progress: Progress = lambda _: None,
) -> list[str]:
    """Takes one component back to `target` (a revision, `-1`, or `base`) and returns what moved."""

    def run(connection: Connection) -> list[str]:
        audit = _audit_rows(connection)
        before = _status(connection, component)
        command.downgrade(_config(component, connection, among=among), target)
        after = _status(connection, component)
        _keep_the_audit_trail(connection, audit, drop_audit)
        if after.current == before.current:
            return []
        return [f"{component.name}: {', '.join(before.current)} -> {', '.join(after.current) or 'nothing'}"]

    async with _migrating(url) as connection:
        moved = await connection.run_sync(run)
    for line in moved:
        progress(line)
    return moved


def differences(connection: Connection, component: Component, among: Sequence[Component]) -> list[Any]:
    """What Alembic's autogenerate finds between the database and the component's models: empty
    when the database holds exactly what the models say."""
    context = MigrationContext.configure(connection, opts=_options(component, among))
    return list(compare_metadata(context, list(component.metadata)))  # type: ignore[arg-type]


async def revision(component: Component, message: str, *, empty: bool = False) -> Path | None:
    """Writes the component's next revision into its versions folder and returns its path:
    autogenerated from what the models hold beyond head (compared on a scratch SQLite database
    migrated to head), or an empty one to fill by hand. None when the models hold nothing new."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'scratch.db'}"
        await upgrade(url, (component,))
        async with _migrating(url) as connection:
            written = await connection.run_sync(_revision, component, message, empty)
    if written is not None:
        _tidy(written)
    return written


def _revision(connection: Connection, component: Component, message: str, empty: bool) -> Path | None:
    def nothing_new(_context: MigrationContext, _revision: Any, directives: list[Any]) -> None:
        if directives[0].upgrade_ops.is_empty():
            directives[:] = []

    configure = {} if empty else {"process_revision_directives": nothing_new}
    script = command.revision(_config(component, connection, configure=configure), message, autogenerate=not empty)
    return Path(script.path) if script is not None and not isinstance(script, list) else None


def _tidy(path: Path) -> None:
    """A generated revision formatted as the repository's code is (when ruff is installed)."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff:
        subprocess.run([ruff, "format", "--quiet", str(path)], check=False)
        subprocess.run([ruff, "check", "--fix", "--quiet", str(path)], check=False)
