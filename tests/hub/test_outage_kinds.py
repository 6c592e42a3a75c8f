"""What counts as an outage (the caller may try again: SECTOR_UNAVAILABLE) rather than a bug:
PostgreSQL cancelling a statement past statement_timeout or lock_timeout is one, as the driver
raises it through SQLAlchemy."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from hub.data.sectors import is_outage
from tests.conftest import POSTGRES_URL, service_unavailable


async def test_a_statement_cancelled_by_postgresql_is_an_outage() -> None:
    engine = create_async_engine(POSTGRES_URL)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SET statement_timeout = 20"))
            try:
                await connection.execute(text("SELECT pg_sleep(2)"))
            except Exception as error:
                cancelled: BaseException = error
            else:
                raise AssertionError("the statement outlived its timeout")
    except OSError as error:
        service_unavailable("PostgreSQL", error)
    finally:
        await engine.dispose()
    assert "statement timeout" in str(cancelled)
    assert is_outage(cancelled), repr(cancelled)
    assert not is_outage(ValueError("a bug"))
