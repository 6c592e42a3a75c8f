"""The driver path's connections on PostgreSQL: a read, an audit append and a subject index round
each wait at most the pool budget (RABT_POOL_TIMEOUT) for a free connection, though a checkout skips
asyncpg's timeout when one is idle; and a connection lost under a read is replaced once, never given
back broken."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.engine import URL

from hub.audit.entries import AuditBatch
from hub.audit.index import SubjectIndexer
from hub.audit.writer import AuditWriter
from hub.contract.loading import row_by
from hub.data.asyncpg_pool import POOL_SIZE
from hub.data.asyncpg_rows import AsyncpgRowSource
from hub.data.db import Budgets, Database
from tests.conftest import (
    PERSONA,
    _create_postgres_database,
    _drop_postgres_database,
    connected,
    officer,
    service_unavailable,
)

pytestmark = pytest.mark.postgres

_metadata = MetaData()
_probes = Table("pool_probes", _metadata, Column("id", String, primary_key=True), Column("name", String))


@dataclass(frozen=True)
class Probe:
    name: str


PROBE = row_by(Probe, _probes, "id", order_by=(_probes.c.id,))
POOL_BUDGET = 0.3


@pytest_asyncio.fixture
async def db() -> AsyncIterator[Database]:
    try:
        url = await _create_postgres_database()
    except (OSError, asyncpg.PostgresError) as error:
        service_unavailable("PostgreSQL", error)
    database = Database(url, Budgets(connect=2.0, pool=POOL_BUDGET, statement=5.0))
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_metadata.create_all)
            await connection.execute(_probes.insert(), [{"id": "a", "name": "first"}])
        yield database
    finally:
        await database.dispose()
        await _drop_postgres_database(url)


async def _read(rows: AsyncpgRowSource) -> object:
    session = rows.session()
    try:
        return (await session.fetch([(PROBE, ["a"])]))[0]
    finally:
        await session.close()


async def test_a_read_waits_no_longer_than_the_pool_budget_for_a_connection(db: Database) -> None:
    rows = db.rows
    assert isinstance(rows, AsyncpgRowSource)
    pool = await rows.pool()
    assert await _read(rows)  # an idle connection: answered
    held = [await pool.acquire() for _ in range(POOL_SIZE)]
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(10 * POOL_BUDGET):  # a checkout without the budget would wait for ever
                await _read(rows)
        assert time.monotonic() - started < 5 * POOL_BUDGET
        await pool.release(held.pop())
        assert await _read(rows)  # one given back: answered
    finally:
        for connection in held:
            await pool.release(connection)


async def _append(db: Database) -> object:
    batch = AuditBatch()
    batch.note(PERSONA["sponsor"], "passports", "officer", {"iqama"})
    return await AuditWriter(db).write(batch, officer("passports"), uuid.uuid4().hex, "Test")


async def _index_round(db: Database) -> object:
    return await SubjectIndexer(db).catch_up()


@pytest.mark.parametrize("work", [_append, _index_round], ids=["audit append", "subject index round"])
async def test_background_writes_wait_no_longer_than_the_pool_budget_for_a_connection(
    db: Database, work: Callable[[Database], Awaitable[object]]
) -> None:
    """The audit's appends and the indexer's rounds share the read path's pool: with every connection
    taken they fail at the pool budget (a request then answers 503 SERVICE_UNAVAILABLE) instead of
    holding their callers until the request deadline."""
    rows = db.rows
    assert isinstance(rows, AsyncpgRowSource)
    pool = await rows.pool()
    held = [await pool.acquire() for _ in range(POOL_SIZE)]
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(10 * POOL_BUDGET):
                await work(db)
        assert time.monotonic() - started < 5 * POOL_BUDGET
    finally:
        for connection in held:
            await pool.release(connection)


async def _terminate(url: URL, pid: int) -> None:
    async with connected(url) as connection:
        await connection.execute("SELECT pg_terminate_backend($1)", pid)


_missing = Table("pool_probes_missing", MetaData(), Column("id", String, primary_key=True), Column("name", String))
MISSING = row_by(Probe, _missing, "id", order_by=(_missing.c.id,))


async def test_a_replacement_connection_whose_statement_failed_is_not_given_back(db: Database) -> None:
    rows = db.rows
    assert isinstance(rows, AsyncpgRowSource)
    pool = await rows.pool()
    idle = await pool.acquire()
    pid = idle.get_server_pid()
    await pool.release(idle)
    # The server drops the idle connection, as a restart does, from another thread and loop while
    # this loop waits: the pool has not heard of it when the read takes that connection.
    dropping = threading.Thread(target=asyncio.run, args=(_terminate(db.url, pid),))
    dropping.start()
    dropping.join()
    session = rows.session()
    try:
        with pytest.raises(asyncpg.UndefinedTableError):  # the lost connection replaced, its statement then failed
            await session.fetch([(MISSING, ["a"])])
        idle = pool.get_idle_size()
    finally:
        await session.close()
    assert pool.get_idle_size() == idle  # terminated, where a healthy one goes back to the pool idle
