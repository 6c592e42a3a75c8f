"""The driver path's pool budget (RABT_POOL_TIMEOUT) on PostgreSQL: a read waits at most that long
for a free connection, however a checkout skips asyncpg's timeout when a connection is idle."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import Column, MetaData, String, Table

from hub.contract.loading import row_by
from hub.data.asyncpg_pool import POOL_SIZE
from hub.data.asyncpg_rows import AsyncpgRowSource
from hub.data.db import Budgets, Database
from tests.conftest import _create_postgres_database, _drop_postgres_database, service_unavailable

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
