"""Each subgraph's PostgreSQL role reads and writes its own sector's tables and nothing else but
what the access policy and the audit trail need: proved on the real PostgreSQL, with roles made
for this run only (role names are the cluster's, so each run picks its own prefix)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url

from hub.audit.entries import AuditBatch
from hub.audit.writer import AuditWriter
from hub.cli.db_roles import apply, apply_placed, databases, privileges
from hub.contract.principal import Principal, Role
from hub.data import idempotency
from hub.data.db import Database
from hub.data.sectors import WRITING, Writing
from hub.migrations import components, downgrade, upgrade
from hub.migrations import placed as migration_placed
from hub.registry import installed_sectors
from hub.seed import seed
from tests.conftest import (
    PERSONA,
    POSTGRES_URL,
    TODAY,
    _create_postgres_database,
    _drop_postgres_database,
    connect_to,
    connected,
    service_unavailable,
)

pytestmark = pytest.mark.postgres
SECTORS = installed_sectors()
ROLES = privileges(SECTORS)


@dataclass
class Cluster:
    url: str  # the test database, as its owner
    prefix: str

    def as_role(self, name: str) -> str:
        return make_url(self.url).set(username=f"{self.prefix}_{name}", password=None).render_as_string(False)

    async def connect(self, name: str) -> asyncpg.Connection:
        return await connect_to(self.as_role(name))


async def drop_roles(prefix: str) -> None:
    async with connected(POSTGRES_URL) as connection:
        for role in ROLES:
            await connection.execute(f'DROP ROLE IF EXISTS "{role.role(prefix)}"')


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def cluster() -> AsyncIterator[Cluster]:
    try:
        url = await asyncio.wait_for(_create_postgres_database(), timeout=10)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        service_unavailable(f"PostgreSQL at {POSTGRES_URL}", error)
    prefix = f"rabt_t{uuid.uuid4().hex[:8]}"
    db = Database(url)
    try:
        await upgrade(url, components(SECTORS))
        await seed(db, SECTORS, people=300, seed_value=2026, today=TODAY)
        await apply(url, ROLES, prefix, passwords={})
        yield Cluster(url, prefix)
    finally:
        await db.dispose()
        await _drop_postgres_database(url)  # its grants go with it; then the roles can go
        await drop_roles(prefix)


async def selects(connection: asyncpg.Connection, sql: str) -> bool:
    try:
        await connection.fetch(sql)
    except asyncpg.InsufficientPrivilegeError:
        return False
    return True


async def test_the_traffic_role_reads_its_own_tables_and_not_a_passports_table(cluster: Cluster) -> None:
    traffic = await cluster.connect("traffic")
    try:
        assert await selects(traffic, "SELECT * FROM traffic_vehicles LIMIT 1")
        assert await selects(traffic, "SELECT * FROM traffic_violations LIMIT 1")
        assert not await selects(traffic, "SELECT * FROM passports_passports LIMIT 1")
        assert not await selects(traffic, "SELECT number FROM passports_iqamas LIMIT 1")
        assert not await selects(traffic, "SELECT * FROM civil_affairs_id_cards LIMIT 1")
        assert not await selects(traffic, "SELECT * FROM accounts_accounts LIMIT 1")
        assert not await selects(traffic, "SELECT * FROM accounts_sessions LIMIT 1")
        # The sessions ended before their time, whose access tokens every part turns away.
        assert await selects(traffic, "SELECT id, session_id, until FROM accounts_revocations LIMIT 1")
        # Of identity, only whether an ID is registered; of the audit trail, only its tip.
        assert await selects(traffic, "SELECT id FROM identity_people LIMIT 1")
        assert not await selects(traffic, "SELECT name_en, mobile FROM identity_people LIMIT 1")
        assert await selects(traffic, "SELECT id, hash FROM audit_trail ORDER BY id DESC LIMIT 1")
        assert not await selects(traffic, "SELECT entries FROM audit_trail LIMIT 1")
        # Of the audit outbox, which record a row names (a sector apart's relay), nothing else.
        assert await selects(traffic, "SELECT id, audit_id FROM audit_outbox LIMIT 1")
        assert not await selects(traffic, "SELECT request_id, subject_id FROM audit_outbox LIMIT 1")
        # Where each component stands: every part checks at start that the database is at head.
        assert await selects(traffic, "SELECT * FROM alembic_version_hub")
        assert await selects(traffic, "SELECT * FROM alembic_version_passports")
        # The relations' columns the access policy reads, and no other column of those tables.
        assert await selects(traffic, "SELECT person_id, sponsor_id FROM passports_iqamas LIMIT 1")
        assert await selects(traffic, "SELECT person_id, father_id, mother_id, born_on FROM civil_affairs_births")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await traffic.execute("DROP TABLE traffic_vehicles")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await traffic.execute("CREATE TABLE traffic_copy AS SELECT * FROM traffic_vehicles")
    finally:
        await traffic.close()


async def test_each_sector_role_reads_no_other_sectors_records(cluster: Cluster) -> None:
    for role in ROLES:
        if role.name not in {sector.name for sector in SECTORS}:
            continue
        connection = await cluster.connect(role.name)
        try:
            for sector in SECTORS:
                for table in sector.metadata.sorted_tables:
                    readable = await selects(connection, f"SELECT * FROM {table.name} LIMIT 1")
                    assert readable == (sector.name == role.name), (role.name, table.name)
        finally:
            await connection.close()


async def test_every_role_decides_the_relations_and_appends_to_the_audit_trail(cluster: Cluster) -> None:
    family_head, sponsor = PERSONA["family_head"], PERSONA["sponsor"]
    for role in ROLES:
        db = Database(cluster.as_role(role.name))
        try:
            found = set()
            for sector in SECTORS:
                for source in sector.relations:
                    found |= await source.fetch(db, family_head, [PERSONA["minor_child"]], TODAY)
                    found |= await source.fetch(db, sponsor, [PERSONA["absconding_worker"]], TODAY)
            assert found == {PERSONA["minor_child"], PERSONA["absconding_worker"]}, role.name
            batch = AuditBatch()
            batch.note(family_head, "traffic", "self", {"vehicles"})
            assert await AuditWriter(db).write(batch, Principal(Role.INDIVIDUAL, person_id=family_head), "t", None) == 1
        finally:
            await db.dispose()


async def test_applying_again_takes_back_what_a_role_was_given_by_hand(cluster: Cluster) -> None:
    async with connected(cluster.url) as admin:
        await admin.execute(f'GRANT SELECT ON passports_passports TO "{cluster.prefix}_traffic"')
        await admin.execute(f'GRANT SELECT (number) ON passports_iqamas TO "{cluster.prefix}_traffic"')
    traffic = await cluster.connect("traffic")
    try:
        assert await selects(traffic, "SELECT * FROM passports_passports LIMIT 1")
        await apply(cluster.url, ROLES, cluster.prefix, passwords={})
        assert not await selects(traffic, "SELECT * FROM passports_passports LIMIT 1")
        assert not await selects(traffic, "SELECT number FROM passports_iqamas LIMIT 1")
        assert await selects(traffic, "SELECT person_id, sponsor_id FROM passports_iqamas LIMIT 1")
    finally:
        await traffic.close()


@dataclass
class Apart:
    hub: Cluster  # the hub's database, without traffic's tables
    traffic: Cluster  # traffic's database of its own, with the hub's bookkeeping for it


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def apart() -> AsyncIterator[Apart]:
    try:
        hub_url = await asyncio.wait_for(_create_postgres_database(), timeout=10)
        traffic_url = await asyncio.wait_for(_create_postgres_database(), timeout=10)
    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
        service_unavailable(f"PostgreSQL at {POSTGRES_URL}", error)
    prefix = f"rabt_t{uuid.uuid4().hex[:8]}"
    try:
        placed = databases(SECTORS, hub_url, {"traffic": traffic_url})
        for url, held in migration_placed(hub_url, components(SECTORS), {"traffic": traffic_url}):
            await upgrade(url, held)
        await apply_placed(placed, prefix, passwords={})
        yield Apart(Cluster(hub_url, prefix), Cluster(traffic_url, prefix))
    finally:
        for url in (hub_url, traffic_url):
            await _drop_postgres_database(url)
        await drop_roles(prefix)


async def allowed(connection: asyncpg.Connection, sql: str) -> bool:
    try:
        await connection.execute(sql)
    except asyncpg.InsufficientPrivilegeError:
        return False
    return True


KEPT_ANSWER = (
    "INSERT INTO idempotency_answers (sector, caller, key, fingerprint, answer, kept_at) "
    "VALUES ('{sector}', 'individual:1010000014', '{key}', 'f', '{{\"report\": \"HR-1\"}}', now())"
)


async def test_a_sector_role_sees_and_writes_only_its_own_sectors_kept_answers(cluster: Cluster) -> None:
    """The answers kept for idempotency keys are one table where sectors share a database: an
    answer is a person's data, and a retry is given it back, so another sector's role must neither
    read one nor forge, take back or take over the key of one."""
    passports, traffic, hub = [await cluster.connect(name) for name in ("passports", "traffic", "hub")]
    try:
        assert await allowed(passports, KEPT_ANSWER.format(sector="passports", key="p-1"))
        assert await allowed(traffic, KEPT_ANSWER.format(sector="traffic", key="t-1"))
        assert [row[0] for row in await traffic.fetch("SELECT key FROM idempotency_answers")] == ["t-1"]
        assert [row[0] for row in await passports.fetch("SELECT key FROM idempotency_answers")] == ["p-1"]
        assert await traffic.execute("UPDATE idempotency_answers SET answer = 'forged' WHERE key = 'p-1'") == "UPDATE 0"
        assert await traffic.execute("DELETE FROM idempotency_answers WHERE key = 'p-1'") == "DELETE 0"
        assert not await allowed(traffic, KEPT_ANSWER.format(sector="passports", key="p-2"))  # a key taken over
        assert not await allowed(traffic, "UPDATE idempotency_answers SET sector = 'passports' WHERE key = 't-1'")
        kept = {tuple(row) for row in await hub.fetch("SELECT sector, key, answer FROM idempotency_answers")}
        assert kept == {("passports", "p-1", '{"report": "HR-1"}'), ("traffic", "t-1", '{"report": "HR-1"}')}
    finally:
        for connection in (passports, traffic, hub):
            await connection.close()


async def test_a_key_another_sector_holds_is_taken_though_its_role_cannot_see_it(cluster: Cluster) -> None:
    """A key stays the caller's across every mutation: the row another sector's mutation kept is
    out of this role's sight, and the key is still taken (IDEMPOTENCY_KEY_REUSED to the client)."""
    passports = await cluster.connect("passports")
    traffic = Database(cluster.as_role("traffic"))
    token = WRITING.set(Writing("traffic", "1010000014", "payTrafficViolation"))
    try:
        await passports.execute(KEPT_ANSWER.format(sector="passports", key="shared-1"))
        assert await idempotency.kept(traffic, "individual:1010000014", "shared-1") is None
        with pytest.raises(idempotency.KeyTaken):
            async with traffic.transaction() as session:
                await idempotency.claim(session, "individual:1010000014", "shared-1", "f", dt.datetime.now(dt.UTC))
        async with traffic.transaction() as session:
            await idempotency.claim(session, "individual:1010000014", "own-1", "f", dt.datetime.now(dt.UTC))
        assert await idempotency.kept(traffic, "individual:1010000014", "own-1") == idempotency.Kept("f", None)
    finally:
        WRITING.reset(token)
        await passports.close()
        await traffic.dispose()


async def test_the_sector_column_goes_back_down_with_the_policies_that_read_it() -> None:
    """A downgrade below the sector column also takes back db-roles' policies and row-level
    security: left on without them, every sector role would be refused every kept answer."""
    url, prefix = await _create_postgres_database(), f"rabt_t{uuid.uuid4().hex[:8]}"
    found = components(SECTORS)
    try:
        await upgrade(url, found)
        await apply(url, ROLES, prefix, passwords={})
        await apply(url, ROLES, prefix, passwords={})  # again, as after a change of the registry
        assert await downgrade(url, found[0], "-1", among=found)
        async with connected(url) as connection:
            assert not await connection.fetchval(
                "SELECT relrowsecurity FROM pg_class WHERE relname = 'idempotency_answers'"
            )
            assert not await connection.fetch(
                "SELECT policyname FROM pg_policies WHERE tablename = 'idempotency_answers'"
            )
        await upgrade(url, found)
    finally:
        await _drop_postgres_database(url)
        await drop_roles(prefix)


OUTBOX_ROW = (
    "INSERT INTO audit_sector_outbox (id, at, request_id, actor, role, sector, subject_id, acting_as, action, entries) "
    "VALUES ('{id}', now(), 'r', 'a', 'officer', 'traffic', '1000000001', 'officer', 'x', '[]')"
)


async def test_a_sector_apart_keeps_its_bookkeeping_in_its_own_database(apart: Apart) -> None:
    traffic = await apart.traffic.connect("traffic")
    try:
        assert await selects(traffic, "SELECT * FROM traffic_vehicles LIMIT 1")
        assert await allowed(
            traffic,
            "INSERT INTO idempotency_answers (sector, caller, key, fingerprint, kept_at) "
            "VALUES ('traffic', 'c', 'k', 'f', now())",
        )
        assert await allowed(traffic, "DELETE FROM idempotency_answers WHERE key = 'k'")
        # Its audit records' outbox: written with the write, read and marked by its relay, kept.
        assert await allowed(traffic, OUTBOX_ROW.format(id="a1"))
        assert await allowed(traffic, "UPDATE audit_sector_outbox SET audit_id = 1 WHERE id = 'a1'")
        assert await selects(traffic, "SELECT * FROM audit_sector_outbox WHERE audit_id IS NULL")
        assert not await allowed(traffic, "DELETE FROM audit_sector_outbox")
        assert await selects(traffic, "SELECT * FROM alembic_version_traffic")
        assert await selects(traffic, "SELECT * FROM alembic_version_bookkeeping")
    finally:
        await traffic.close()


async def test_other_roles_get_nothing_of_a_sector_apart_but_its_versions(apart: Apart) -> None:
    for role in ROLES:
        if role.name in {"traffic", "hub"}:
            continue
        connection = await apart.traffic.connect(role.name)
        try:
            assert not await selects(connection, "SELECT * FROM traffic_vehicles LIMIT 1"), role.name
            assert not await selects(connection, "SELECT * FROM idempotency_answers LIMIT 1"), role.name
            assert not await selects(connection, "SELECT id FROM audit_sector_outbox LIMIT 1"), role.name
            assert await selects(connection, "SELECT * FROM alembic_version_traffic"), role.name
        finally:
            await connection.close()
    hub = await apart.traffic.connect("hub")
    try:
        assert await allowed(hub, OUTBOX_ROW.format(id="h1"))
        assert await selects(hub, "SELECT * FROM traffic_violations LIMIT 1")
    finally:
        await hub.close()


async def test_a_sector_apart_keeps_no_bookkeeping_in_the_hubs_database(apart: Apart) -> None:
    traffic = await apart.hub.connect("traffic")
    passports = await apart.hub.connect("passports")
    try:
        assert not await selects(traffic, "SELECT * FROM idempotency_answers LIMIT 1")
        assert await selects(passports, "SELECT * FROM idempotency_answers LIMIT 1")
        # What the relay appends in the hub's database for it, it still may.
        assert await selects(traffic, "SELECT id, hash FROM audit_trail ORDER BY id DESC LIMIT 1")
        assert await selects(traffic, "SELECT id, audit_id FROM audit_outbox LIMIT 1")
    finally:
        await traffic.close()
        await passports.close()
