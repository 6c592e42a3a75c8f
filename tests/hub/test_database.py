"""How the hub holds its PostgreSQL database: created on first use when missing, and one pooled
connection per general-path request for its loaders."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import make_url

from hub.db import Database
from hub.identity.loaders import person_by_id
from hub.rows import RequestReads
from tests.conftest import PERSONA, Api, _drop_postgres_database


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
