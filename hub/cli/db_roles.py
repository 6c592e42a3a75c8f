"""PostgreSQL roles of least privilege, one per subgraph, derived from the registry.

`python -m hub db-roles` prints the statements; `--apply` runs them in one transaction with the
database URL's (owning) user and sets each role's password from `RABT_DB_PASSWORD_<ROLE>`. Run it
after the tables exist (`seed`), and again whenever the registry changes: it revokes what a role
held before and grants what it needs now.

What each role may do:
- a sector's subgraph: read and write its own sector's tables; read the ID column of the
  identity registry (`require_known_person`); read the columns the access policy's relations
  read (`RelationSource.reads`: births' parents, iqamas' and visas' sponsors) and nothing else of
  other sectors; append to the audit trail and read only its tip (`id`, `hash`) to chain after it,
  and of the audit outbox only which record an outbox row names (`id`, `audit_id`: the relay of a
  sector in a database of its own, hub/audit/relay.py);
  read the ended sessions (`accounts_revocations`) to turn their access tokens away; read and write
  its own sector's rows of the idempotency keys (`idempotency_answers`, which its mutations keep
  their answers in: row-level security where sectors share the table); append to
  the notifications' inbox (a mutation's notice) and read back only the id it was given; a sector
  whose manifest says `registers_people` (civil affairs) may also insert into the identity registry;
- identity: read the registry, the audit trail (a person's access log) and the notifications' inbox
  (a person's notices), append to the inbox (an account mutation may notify), read and write the
  accounts' tables, the relations' columns, append to the audit trail;
- hub (the all-in-one hub): all of those together.
The tables stay owned by the user that created them (the seed's); no role here may change a
table's shape, and none may read another sector's records.

A sector with a database of its own (`RABT_<SECTOR>_DATABASE_URL`) keeps its tables there, with
the hub's bookkeeping for it: its mutations' idempotency keys (`idempotency_answers`) and the
outbox of its audit records (`audit_sector_outbox`, which its relay reads and marks but never
deletes from). Each database is granted what each role needs in it: the tables that live there
out of the role's privileges above, the bookkeeping only to the roles whose sectors live there
(and the all-in-one hub's), and each component's version table there to every role.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Column, Table

    from hub.contract import Sector
    from hub.settings import Settings

DEFAULT_PREFIX = "rabt"
HUB_ROLE = "hub"
PASSWORD_VARIABLE = "RABT_DB_PASSWORD_{}"
WRITE = "SELECT, INSERT, UPDATE, DELETE"
RELAY = "SELECT, INSERT, UPDATE"


@dataclass(frozen=True)
class Privileges:
    """What one subgraph's role may do, by table and column."""

    name: str
    writes: tuple[Table, ...]
    reads: tuple[Table, ...]
    columns: tuple[Column[Any], ...]
    appends: tuple[Table, ...]
    relays: tuple[Table, ...] = ()  # read, appended to and marked, never deleted from

    def role(self, prefix: str = DEFAULT_PREFIX) -> str:
        return f"{prefix}_{self.name}"


def password_variable(name: str) -> str:
    return PASSWORD_VARIABLE.format(name.upper())


def privileges(sectors: Sequence[Sector]) -> list[Privileges]:
    """identity, then one role per sector in registry order, then the all-in-one hub's."""
    from sqlalchemy import MetaData, Table

    from hub.accounts.models import REVOCATIONS, AccountsBase
    from hub.audit.outbox import AuditOutbox
    from hub.audit.records import AuditRecord, AuditSubject
    from hub.data.idempotency import ANSWERS
    from hub.identity.models import PersonRow
    from hub.migrations import components
    from hub.notifications.models import NotificationRow

    inbox = NotificationRow.__table__
    people, trail, subjects = PersonRow.__table__, AuditRecord.__table__, AuditSubject.__table__
    relations = tuple(column for sector in sectors for source in sector.relations for column in source.reads)
    # A mutation's outbox row is appended in its transaction with its record (hub.audit.outbox).
    outbox = AuditOutbox.__table__
    audit = (trail, subjects, outbox)
    # Every part checks at start that each component is at its migrations' head.
    versions = tuple(Table(component.version_table, MetaData()) for component in components(sectors))
    identity = _without_covered(
        Privileges(
            "identity",
            writes=tuple(AccountsBase.metadata.sorted_tables),
            reads=(people, trail, subjects, inbox, *versions),
            columns=relations,
            appends=(*audit, inbox),
        )
    )
    own = [
        _without_covered(
            Privileges(
                sector.name,
                writes=(*sector.metadata.sorted_tables, ANSWERS),
                reads=versions,
                columns=(
                    people.c.id,
                    trail.c.id,
                    trail.c.hash,
                    # A sector apart's relay finds whether an outbox row's record was appended already.
                    outbox.c.id,
                    outbox.c.audit_id,
                    *REVOCATIONS.c,
                    inbox.c.id,
                    *relations,
                ),
                # A sector that issues IDs (civil affairs, for a newborn) enters people in the registry.
                appends=(*audit, inbox, people) if sector.registers_people else (*audit, inbox),
            )
        )
        for sector in sectors
    ]
    hub = _without_covered(
        Privileges(
            HUB_ROLE,
            writes=tuple(dict.fromkeys(table for role in [identity, *own] for table in role.writes)),
            reads=identity.reads,
            columns=(*relations, outbox.c.id, outbox.c.audit_id),
            appends=(*audit, inbox, people) if any(sector.registers_people for sector in sectors) else (*audit, inbox),
        )
    )
    return [identity, *own, hub]


def databases(sectors: Sequence[Sector], hub_url: str, urls: Mapping[str, str]) -> list[tuple[str, list[Privileges]]]:
    """Each database (the hub's first, then each of sectors apart, by URL) with every role's
    privileges in it."""
    from sqlalchemy import MetaData, Table

    from hub.migrations import components, placed
    from hub.migrations.components import BOOKKEEPING

    roles = privileges(sectors)
    found: list[tuple[str, list[Privileges]]] = []
    for url, held in placed(hub_url, components(sectors), urls):
        tables = {name for component in held for name in component.tables}
        tables |= {component.version_table for component in held}
        homes = {component.name for component in held}
        # Where the bookkeeping is at: every part checks each database's components at start.
        bookkeeping = tuple(Table(c.version_table, MetaData()) for c in held if c.name == BOOKKEEPING)
        found.append(
            (url, [_within(role, tables, role.name in homes or role.name == HUB_ROLE, bookkeeping) for role in roles])
        )
    return found


def _within(privileges: Privileges, tables: set[str], home: bool, versions: tuple[Table, ...]) -> Privileges:
    """`privileges` cut to the tables of one database; the bookkeeping of a sector's mutations
    (idempotency keys, the sector outbox) only where the role's sector lives (`home`)."""
    from hub.audit.relay import SECTOR_OUTBOX
    from hub.data.idempotency import ANSWERS

    kept = tables if home else tables - {ANSWERS.name, SECTOR_OUTBOX.name}

    def here(found: tuple[Table, ...]) -> tuple[Table, ...]:
        return tuple(table for table in found if table.name in kept)

    return Privileges(
        privileges.name,
        here(privileges.writes),
        (*here(privileges.reads), *versions),
        tuple(column for column in privileges.columns if column.table.name in kept),
        here(privileges.appends),
        # The sector outbox is in a database of sectors apart only, read and marked by their relay.
        (SECTOR_OUTBOX,) if home and SECTOR_OUTBOX.name in tables else (),
    )


def _without_covered(privileges: Privileges) -> Privileges:
    """Column grants only where the role may not read the whole table anyway, each once."""
    whole = {table.name for table in (*privileges.writes, *privileges.reads)}
    columns = {(column.table.name, column.name): column for column in privileges.columns}
    return Privileges(
        privileges.name,
        privileges.writes,
        privileges.reads,
        tuple(column for key, column in sorted(columns.items()) if key[0] not in whole),
        privileges.appends,
        privileges.relays,
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(tables: Iterable[Table]) -> str:
    return ", ".join(_quoted(table.name) for table in tables)


def statements(roles: Sequence[Privileges], prefix: str = DEFAULT_PREFIX) -> list[str]:
    """The SQL that creates the roles (without passwords) and grants exactly their privileges."""
    sql: list[str] = []
    for privileges in roles:
        role = privileges.role(prefix)
        literal = role.replace("'", "''")
        name = _quoted(role)
        sql += [
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{literal}') "
            f"THEN CREATE ROLE {name} LOGIN; END IF; END $$",
            # Whatever the role held before goes, column privileges included: a re-run after a
            # change of the registry leaves exactly what it needs now.
            f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {name}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {name}",
        ]
        if privileges.writes:
            sql.append(f"GRANT {WRITE} ON {_tables(privileges.writes)} TO {name}")
            sequences = [
                f"{table.name}_{table.autoincrement_column.name}_seq"
                for table in privileges.writes
                if table.autoincrement_column is not None
            ]
            if sequences:
                sql.append(f"GRANT USAGE ON SEQUENCE {', '.join(map(_quoted, sequences))} TO {name}")
        if privileges.reads:
            sql.append(f"GRANT SELECT ON {_tables(privileges.reads)} TO {name}")
        by_table: dict[str, list[str]] = {}
        for column in privileges.columns:
            by_table.setdefault(column.table.name, []).append(_quoted(column.name))
        sql += [
            f"GRANT SELECT ({', '.join(columns)}) ON {_quoted(table)} TO {name}" for table, columns in by_table.items()
        ]
        if privileges.appends:
            sql.append(f"GRANT INSERT ON {_tables(privileges.appends)} TO {name}")
            appended = [
                f"{table.name}_{table.autoincrement_column.name}_seq"
                for table in privileges.appends
                if table.autoincrement_column is not None and table.name not in {t.name for t in privileges.writes}
            ]
            if appended:
                sql.append(f"GRANT USAGE ON SEQUENCE {', '.join(map(_quoted, appended))} TO {name}")
        if privileges.relays:
            sql.append(f"GRANT {RELAY} ON {_tables(privileges.relays)} TO {name}")
        sql += _own_rows(privileges, role)
    return sql


def _own_rows(privileges: Privileges, role: str) -> list[str]:
    """Of the idempotency answers, which sectors share where they share a database, a sector's
    role sees and writes its own sector's rows only; the all-in-one hub's, every row."""
    from hub.data.idempotency import ANSWERS

    if ANSWERS not in privileges.writes:
        return []
    table, policy = _quoted(ANSWERS.name), _quoted(f"{role}_rows")
    rows = "true" if privileges.name == HUB_ROLE else "sector = '" + privileges.name.replace("'", "''") + "'"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {policy} ON {table}",
        f"CREATE POLICY {policy} ON {table} TO {_quoted(role)} USING ({rows}) WITH CHECK ({rows})",
    ]


async def apply(database_url: str, roles: Sequence[Privileges], prefix: str, passwords: Mapping[str, str]) -> list[str]:
    """Runs `statements` in one transaction as the URL's user, and sets the password of each role
    named in `passwords` (by subgraph name); returns the roles whose password was set."""
    import asyncpg
    from sqlalchemy.engine import make_url

    from hub.data.asyncpg_pool import connect_arguments

    connection = await asyncpg.connect(**connect_arguments(make_url(database_url)))
    changed = []
    try:
        async with connection.transaction():
            for statement in statements(roles, prefix):
                await connection.execute(statement)
            for privileges in roles:
                password = passwords.get(privileges.name)
                if password:
                    # Quoted by the server (format's %I and %L), never by string pasting here.
                    alter = await connection.fetchval(
                        "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)",
                        privileges.role(prefix),
                        password,
                    )
                    await connection.execute(alter)
                    changed.append(privileges.role(prefix))
    finally:
        await connection.close()
    return changed


async def apply_placed(
    placed: Sequence[tuple[str, Sequence[Privileges]]], prefix: str, passwords: Mapping[str, str]
) -> list[str]:
    """`apply` on each database (each in a transaction of its own: none spans two); the passwords,
    which are the cluster's, set once, with the first (the hub's)."""
    changed: list[str] = []
    for index, (url, roles) in enumerate(placed):
        changed += await apply(url, roles, prefix, passwords if index == 0 else {})
    return changed


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from hub.registry import installed_sectors

    sectors = installed_sectors()
    url = args.database_url or settings.database_url
    found = databases(sectors, url, settings.sector_database_urls([sector.name for sector in sectors]))
    if not args.apply:
        for where, roles in found:
            print(f"-- {_shown(where)}")
            for statement in statements(roles, args.prefix):
                print(f"{statement};")
        return 0
    if not all(where.startswith("postgresql") for where, _ in found):
        print("db-roles: roles are PostgreSQL's; set RABT_DATABASE_URL or --database-url", file=sys.stderr)
        return 2
    passwords = {role.name: os.environ.get(password_variable(role.name), "") for role in found[0][1]}
    with_password = asyncio.run(apply_placed(found, args.prefix, passwords))
    for where, roles in found:
        for role in roles:
            name = role.role(args.prefix)
            password = (
                "password set" if name in with_password else f"no password ({password_variable(role.name)} unset)"
            )
            print(
                f"db-roles: {_shown(where)}: {name}: {len(role.writes)} tables read and written, "
                f"{len(role.reads)} read, {len(role.columns)} columns read; {password}"
            )
    return 0


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def add_parser(commands: Any) -> None:
    """Registers `db-roles` on the CLI's subcommands."""
    command = commands.add_parser(
        "db-roles", help="print (or --apply) the PostgreSQL roles of least privilege, one per subgraph"
    )
    command.add_argument("--apply", action="store_true", help="run them on the database (its owner's URL)")
    command.add_argument("--prefix", default=DEFAULT_PREFIX, help="role names are PREFIX_<subgraph> (default rabt)")
    command.add_argument("--database-url", default=None, help="default: RABT_DATABASE_URL")
    command.set_defaults(run=_run)
