"""How the hub holds its databases. PostgreSQL: created on first use when missing, and one pooled
connection per general-path request for its loaders, whose batches go together. SQLite: who
checkpoints the WAL, and an audit append that waits for the write lock off the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from hub.audit.entries import AuditBatch
from hub.audit.reading import recorded
from hub.audit.writer import AuditWriter
from hub.data.batches import BatchLoader
from hub.data.db import Database
from hub.data.request_reads import RequestReads
from hub.identity.loaders import person_by_id
from sectors.passports.loaders import iqama_by_person
from tests.conftest import PERSONA, Api, _drop_postgres_database, individual


async def test_a_missing_postgres_database_is_created_once(postgres_api: Api) -> None:
    url = make_url(postgres_api.hub.db.url).set(database=f"rabt_missing_{uuid.uuid4().hex[:10]}")
    text = url.render_as_string(hide_password=False)
    db = Database(text)
    try:
        assert await db.create_if_missing() is True
        await db.ping()
        assert await db.create_if_missing() is False
    finally:
        await db.dispose()
        await _drop_postgres_database(text)


async def test_a_requests_reads_share_one_connection_and_give_it_back(postgres_api: Api) -> None:
    """The general path's loaders read through one session per request; a batch that arrives after
    the request ended (graphql-core leaves the rest of a nulled selection running) still reads, on a
    connection it returns."""
    db = postgres_api.hub.db
    pool = await db.rows.pool()  # type: ignore[attr-defined]
    reads = RequestReads(db.rows)
    first = await reads.read_keys(person_by_id, [PERSONA["sponsor"]])
    second = await reads.read_keys(person_by_id, [PERSONA["visitor"]])
    assert [row[0] for row in [*first, *second]] == [PERSONA["sponsor"], PERSONA["visitor"]]
    assert pool.get_size() - pool.get_idle_size() == 1  # held by this request, and by nothing else
    await reads.close()
    late = await reads.read_keys(person_by_id, [PERSONA["sponsor"]])
    assert [row[0] for row in late] == [PERSONA["sponsor"]]
    assert pool.get_idle_size() == pool.get_size()


async def test_loaders_that_queue_together_are_read_from_one_task_in_turn(postgres_api: Api) -> None:
    """aiodataloader would start two tasks per batch; the request's reads send every batch queued
    in the same turns of the loop from one task, each loader's keys in one statement."""
    db = postgres_api.hub.db
    reads = RequestReads(db.rows)
    people, iqamas = BatchLoader(person_by_id, reads), BatchLoader(iqama_by_person, reads)
    sent: list[str] = []
    stop = db.on_statement(lambda _connection, _cursor, statement, *_: sent.append(statement))
    before = asyncio.all_tasks()
    try:
        asked = [
            people.load(PERSONA["sponsor"]),
            iqamas.load(PERSONA["absconding_worker"]),
            people.load(PERSONA["visitor"]),
        ]
        for _ in range(3):  # the queues are taken two turns after the first key, then the task starts
            await asyncio.sleep(0)
        started = asyncio.all_tasks() - before
        sponsor, iqama, visitor = await asyncio.gather(*asked)
    finally:
        stop()
        await reads.close()
    assert len(started) == 1
    assert [statement.split("\nFROM ")[1].split()[0] for statement in sent] == ["identity_people", "passports_iqamas"]
    assert sent[0].count("$") == 2  # both people in one statement
    assert (sponsor.id, visitor.id) == (PERSONA["sponsor"], PERSONA["visitor"])
    assert iqama is not None and iqama.number == PERSONA["absconding_worker"]


async def test_a_failing_batch_fails_only_its_own_keys(postgres_api: Api) -> None:
    """Sent together, the batches still fail alone, as when each had a task of its own: the other
    loader's fields get their rows, and the failed key is asked again next time (not cached)."""
    reads = RequestReads(postgres_api.hub.db.rows)
    people, iqamas = BatchLoader(person_by_id, reads), BatchLoader(iqama_by_person, reads)
    bad: Any = 1_000_000_001  # an int where the column is text: asyncpg refuses the argument
    try:
        failed, found = await asyncio.gather(
            people.load(bad), iqamas.load(PERSONA["absconding_worker"]), return_exceptions=True
        )
        assert isinstance(failed, asyncpg.DataError)
        assert found is not None and found.number == PERSONA["absconding_worker"]
        with pytest.raises(asyncpg.DataError):
            await people.load(bad)
    finally:
        await reads.close()


async def test_sqlites_checkpoints_come_from_the_hubs_connections_never_from_the_loops_appends(
    sqlite_api: Api,
) -> None:
    """The audit appends on the event loop never checkpoint (a checkpoint copies pages back and
    syncs the file); the hub's connections and the appender's thread do, at one threshold."""
    db = sqlite_api.hub.db
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        cursor = await raw.driver_connection.execute("PRAGMA wal_autocheckpoint")
        hub_threshold = (await cursor.fetchone())[0]
    writer = AuditWriter(db)
    try:
        await writer.write(_one_read(), individual("absconding_worker"), f"test-{uuid.uuid4().hex}", None)
        appender = writer._sqlite
        assert appender is not None and appender._on_loop is not None
        on_loop = appender._on_loop.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        in_thread = appender._thread_connection().execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    finally:
        await writer.aclose()
    assert (hub_threshold, in_thread, on_loop) == (4000, 4000, 0)


async def test_an_audit_append_waits_for_sqlites_write_lock_off_the_loop(sqlite_api: Api) -> None:
    """A mutation's transaction holds SQLite's write lock across awaits: the append meanwhile
    waits in a thread, the loop runs on, and the record is written once the lock is free."""
    db = sqlite_api.hub.db
    assert db.url.database
    holder = sqlite3.connect(db.url.database, isolation_level=None)
    writer = AuditWriter(db)
    request_id = f"test-{uuid.uuid4().hex}"
    try:
        holder.execute("BEGIN IMMEDIATE")
        appending = asyncio.create_task(writer.write(_one_read(), individual("absconding_worker"), request_id, None))
        for _ in range(20):  # the loop keeps turning: this coroutine runs while the append waits
            await asyncio.sleep(0.01)
        assert not appending.done()
        holder.execute("COMMIT")
        assert await asyncio.wait_for(appending, 30) == 1
    finally:
        holder.close()
        await writer.aclose()
    assert [entry.subject_id for entry in await recorded(db, request_ids=[request_id])] == [
        PERSONA["absconding_worker"]
    ]


def _one_read() -> AuditBatch:
    batch = AuditBatch()
    batch.note(PERSONA["absconding_worker"], "identity", "self", {"nameEn"})
    return batch
