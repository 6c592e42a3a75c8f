"""Appending to the chain after the tip this process last wrote, optimistically: PostgreSQL through
asyncpg (`AsyncpgChain`), any other database URL through SQLAlchemy (`CoreChain`).

Across processes (uvicorn workers, subgraphs) on PostgreSQL, appends are optimistic: a group is
linked after the tip this process last wrote, and written in one statement. A record's id is its
position in the chain and the table's key, so if another process appended meanwhile, the insert
collides on that key and nothing is written; the appender reads the new tip and links the group
again. An advisory lock, a tip read and a transaction per append cost five more round trips
(measured: 250 µs of the hub's CPU and 130 µs of the database's per headline request), so an
append takes the lock only once it has collided `OPTIMISTIC` times in a row: mutations hold that
lock to their commit (hub.audit.outbox), and racing them without it can lose every attempt."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import select

from hub.audit.chain import APPEND_LOCK, APPEND_LOCK_KEY, TIP, Pending, chained, tip_of
from hub.audit.records import COPIED, AuditRecord
from hub.data.asyncpg_rows import AsyncpgRowSource
from hub.data.db import Database

ATTEMPTS = 20  # each collision means another process's append went in: the chain moves on regardless
OPTIMISTIC = 3  # collisions in a row before an append waits its turn under the lock writes hold


def _append_statement() -> str:
    """The records in one statement (one implicit transaction, one round trip), passed as one JSON
    text: orjson writes it in C, where array parameters cost asyncpg a Python-level check per
    element."""
    trail = AuditRecord.__table__
    return (
        f"INSERT INTO {trail.name} ({', '.join(COPIED)}) "
        f"SELECT {', '.join(COPIED)} FROM json_populate_recordset(NULL::{trail.name}, $1::json)"
    )


_APPEND = _append_statement()


class Chain:
    """Where one attempt at an append reads the chain's tip and inserts its rows."""

    async def tip(self) -> tuple[int, str]:
        raise NotImplementedError

    async def insert(self, records: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def turn(self) -> AbstractAsyncContextManager[None]:
        """Where appends take turns with the writes holding the append lock, as far as the database
        has one: a contended append links after the tip it reads in its turn."""
        return _no_turn()


@asynccontextmanager
async def _no_turn() -> AsyncIterator[None]:
    yield


class AsyncpgChain(Chain):
    """PostgreSQL on a connection of the driver path's pool: no SQLAlchemy layer (measured ~4 % of
    a compiled request's CPU). Every statement is shown to the statement listeners."""

    def __init__(self, db: Database, connection: Any) -> None:
        self._sent = db.sent_by_driver if db.listening else _unheard
        self._connection = connection

    @classmethod
    @asynccontextmanager
    async def on(cls, db: Database, rows: AsyncpgRowSource) -> AsyncIterator[Chain]:
        async with rows.connection() as connection:
            yield cls(db, connection)

    async def tip(self) -> tuple[int, str]:
        self._sent(TIP, ())
        return tip_of(await self._connection.fetchrow(TIP))

    async def insert(self, records: list[dict[str, Any]]) -> None:
        self._sent(_APPEND, ())
        await self._connection.execute(_APPEND, orjson.dumps(records).decode())

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self._connection.transaction():
            self._sent(APPEND_LOCK, (APPEND_LOCK_KEY,))
            await self._connection.execute(APPEND_LOCK, APPEND_LOCK_KEY)
            yield


class CoreChain(Chain):
    """Any other database URL, through SQLAlchemy: each attempt in a transaction of its own."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    @classmethod
    @asynccontextmanager
    async def on(cls, db: Database) -> AsyncIterator[Chain]:
        async with db.connect() as connection:
            yield cls(connection)

    async def tip(self) -> tuple[int, str]:
        table = AuditRecord.__table__
        statement = select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1)
        return tip_of((await self._connection.execute(statement)).first())

    async def insert(self, records: list[dict[str, Any]]) -> None:
        await self._connection.execute(AuditRecord.__table__.insert(), records)


class OptimisticAppender:
    """Links each append after the tip this process last wrote, and again after the new tip when
    another process's append collided with it (see the module's docstring)."""

    def __init__(self) -> None:
        self._tip: tuple[int, str] | None = None  # the last record this process wrote: (id, hash)

    async def append(
        self,
        pending: list[Pending],
        chain: Callable[[], AbstractAsyncContextManager[Chain]],
        collision: type[Exception],
    ) -> None:
        for attempt in range(ATTEMPTS):
            async with chain() as appending:
                # Contended (writes hold the lock to their commit): wait a turn rather than race on.
                turn = appending.turn() if attempt >= OPTIMISTIC else _no_turn()
                try:
                    async with turn:
                        tip, self._tip = self._tip or await appending.tip(), None  # unknown until written
                        records = chained(pending, tip)
                        await appending.insert(records)
                except collision:
                    continue  # another process appended first: link after its records instead
            self._tip = (records[-1]["id"], records[-1]["hash"])
            return
        raise RuntimeError(f"audit: {ATTEMPTS} appends in a row collided with other processes' appends")


def _unheard(_statement: str, _parameters: Sequence[Any]) -> None:
    return None
