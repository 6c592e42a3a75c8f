"""A PostgreSQL database named in the URL but not there yet is created on first use, as `createdb`
would, instead of ending an operator's first `seed` or `bench` in a stack trace."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import make_url

from hub.db import Database
from tests.conftest import Api, _drop_postgres_database


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
