"""Where idempotency keys and their answers are kept: one row per (caller, key), written in the
mutation's own transaction (`hub.contract.idempotency` says what a key means to a client).

Each row names the sector whose mutation kept it (`WRITING`). In a database that several sectors
share, each sector's PostgreSQL role sees and writes its own sector's rows only (row-level
security, `python -m hub db-roles`): an answer kept is a person's data, and another agency's role
must neither read it nor forge the one a retry would be given. A key stays the caller's across
every mutation: one another sector holds collides on the key, unseen (`claim`)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple, cast

from sqlalchemy import DateTime, String, Table, Text, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.contract import sector_metadata
from hub.data.db import Database
from hub.data.sectors import WRITING


class IdempotencyBase(DeclarativeBase):
    metadata = sector_metadata()


class KeptAnswer(IdempotencyBase):
    __tablename__ = "idempotency_answers"

    sector: Mapped[str] = mapped_column(String(32), comment="the sector whose mutation kept it")
    caller: Mapped[str] = mapped_column(
        String(80), primary_key=True, comment="who sent the key: Principal.actor, and an officer's sector"
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True, comment="the client's idempotency key")
    fingerprint: Mapped[str] = mapped_column(String(64), comment="sha256 of the mutation's input, the key left out")
    answer: Mapped[str | None] = mapped_column(Text, comment="the payload as JSON; null while its mutation runs")
    kept_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


ANSWERS = cast(Table, KeptAnswer.__table__)


class Kept(NamedTuple):
    fingerprint: str
    answer: str | None


def _sector() -> str:
    writing = WRITING.get()
    if writing is None:
        raise RuntimeError("idempotency keys are kept by a sector's mutation (hub.audit.mutations)")
    return writing.sector


async def kept(db: Database, caller: str, key: str) -> Kept | None:
    found = await db.fetch(
        select(KeptAnswer.fingerprint, KeptAnswer.answer).where(KeptAnswer.caller == caller, KeptAnswer.key == key)
    )
    return Kept(found[0].fingerprint, found[0].answer) if found else None


class KeyTaken(Exception):
    """Another transaction holds the key: a concurrent request's, or another sector's mutation's."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def claim(session: AsyncSession, caller: str, key: str, fingerprint: str, at: dt.datetime) -> None:
    """Takes the key first thing in the mutation's transaction: a concurrent request with the same
    key waits on it (PostgreSQL's unique index, SQLite's write lock) and fails with an
    IntegrityError once this one commits, rather than doing the work a second time; so does one
    whose key another sector's mutation holds, a row its role may not see: `KeyTaken`."""
    try:
        await session.execute(
            insert(KeptAnswer).values(
                sector=_sector(), caller=caller, key=key, fingerprint=fingerprint, answer=None, kept_at=at
            )
        )
    except IntegrityError:
        raise KeyTaken(key) from None


async def keep(session: AsyncSession, caller: str, key: str, answer: str | None) -> None:
    """The answer, under the claimed key; None lets the key go (a refusal changed nothing)."""
    where = (KeptAnswer.caller == caller, KeptAnswer.key == key)
    if answer is None:
        await session.execute(delete(KeptAnswer).where(*where))
    else:
        await session.execute(update(KeptAnswer).where(*where).values(answer=answer))
