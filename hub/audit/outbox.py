"""No write without its audit: a mutation's audit record commits in the mutation's own transaction.

A sector's mutation writes in `context.transaction()`. When the block ends having written, and
before it commits, the hub appends the mutation's audit record to the chain in that same
transaction, with one row of `audit_outbox` that names the write (request, sector, person, action)
and the record it is audited by. Either both commit or neither does: a process killed between
the write and the append leaves no write behind, where appending after the commit had left
committed writes without a record.

A sector in a database of its own cannot share this transaction: its writes' records arrive
through the relay (hub/audit/relay.py), each appended with a row here that bears the sector's
outbox row's id.

`audit_outbox` is what `python -m hub audit-verify` checks writes against: every row must point at
a record of the chain for the same request, and a row that points at none (`audit_id` NULL) is a
write whose record was never appended.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, String, event, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from hub.audit.chain import APPEND_LOCK_KEY, Pending, chained, pending_record, tip_of
from hub.audit.entries import AuditBatch
from hub.audit.records import AuditBase, AuditRecord
from hub.contract.principal import Principal
from hub.data.db import Database

ATTEMPTS = 20  # each collision means another append went in first: link after it instead


class AuditOutbox(AuditBase):
    """One audited write: which request wrote what of whose, and the chain record auditing it."""

    __tablename__ = "audit_outbox"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="random")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str] = mapped_column(String(64))
    sector: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(128))
    audit_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), index=True, comment="the audit_trail record; NULL: none yet"
    )


BOOKKEEPING = ("idempotency_", "audit_", "notifications_")
"""Tables the hub writes in a mutation's transaction about the mutation, not the person's data:
an idempotency key claimed and let go by a refusal is no write to audit."""


class WriteWatch:
    """Whether a transaction's session wrote anything: an INSERT, UPDATE or DELETE statement sent
    through it, or objects added, changed or deleted when it flushed."""

    def __init__(self, session: AsyncSession) -> None:
        self.wrote = False
        sync = session.sync_session
        event.listen(sync, "do_orm_execute", self._executed)
        event.listen(sync, "before_flush", self._flushing)

    def _executed(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            if not str(getattr(table, "name", "")).startswith(BOOKKEEPING):
                self.wrote = True

    def _flushing(self, session: Session, _context: Any, _instances: Any) -> None:
        if session.new or session.dirty or session.deleted:
            self.wrote = True


OUTBOX = AuditOutbox.__table__
TRAIL = AuditRecord.__table__


@dataclass(frozen=True)
class Write:
    """A mutation's write, as its audit record and outbox row name it: the outbox row names its
    subject; the record names the subject and every other person the write touched."""

    subject_id: str
    sector: str
    acting_as: str
    action: str
    others: tuple[tuple[str, str, str], ...] = ()  # (person, sector, acting_as) of the others

    def batch(self) -> AuditBatch:
        """The record's entries: one per person, each with the action as its field."""
        batch = AuditBatch()
        for person, sector, acting_as in ((self.subject_id, self.sector, self.acting_as), *self.others):
            batch.note(person, sector, acting_as, {self.action}, action=self.action)
        return batch


async def append_in(
    session: AsyncSession, write: Write, principal: Principal, request_id: str, operation: str | None
) -> int:
    """Appends the write's audit record and its outbox row in `session`'s open transaction; returns
    the record's id."""
    pending = pending_record(write.batch(), principal, request_id, operation)
    return await append_values(session, pending.values, write, request_id)


async def append_values(
    session: AsyncSession, values: dict[str, Any], write: Write, request_id: str, *, outbox_id: str | None = None
) -> int:
    """Appends the record of `values` (its columns but the chain's) and the write's outbox row, under
    `outbox_id` (default: a new one), in `session`'s open transaction; returns the record's id. On
    PostgreSQL another append may take the next id first (its insert waits for this transaction or
    this one's for it): the insert collides, its savepoint is rolled back and the record is linked
    after the new tip. On SQLite the transaction holds the database's one write lock from its first
    write on, so the tip cannot move."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    table = AuditRecord.__table__
    if not sqlite:
        # Held to the commit: writes link after one another instead of each claiming the same next
        # id and waiting out the other's transaction to collide (16 at once exhausted the attempts).
        await session.execute(select(func.pg_advisory_xact_lock(literal(APPEND_LOCK_KEY))))
    for _ in range(ATTEMPTS):
        last = (await session.execute(select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1))).first()
        (record,) = chained([Pending(dict(values))], tip_of(last))
        try:
            if sqlite:
                await session.execute(TRAIL.insert(), [record])
            else:
                async with session.begin_nested():
                    await session.execute(TRAIL.insert(), [record])
        except IntegrityError:
            if sqlite:
                raise
            continue
        audit_id = int(record["id"])
        await session.execute(
            OUTBOX.insert().values(
                id=outbox_id or os.urandom(16).hex(),
                at=record["at"],
                request_id=request_id,
                sector=write.sector,
                subject_id=write.subject_id,
                action=write.action,
                audit_id=audit_id,
            )
        )
        return audit_id
    raise RuntimeError(f"audit: {ATTEMPTS} appends in a row collided with other appends")


@dataclass(frozen=True)
class OutboxReport:
    writes: int  # outbox rows checked
    unaudited: tuple[str, ...]  # outbox ids of writes without their record

    @property
    def whole(self) -> bool:
        return not self.unaudited


async def verify_outbox(db: Database) -> OutboxReport:
    """Every write the outbox names has its record in the chain, for the same request."""
    outbox, trail = AuditOutbox.__table__, AuditRecord.__table__
    rows: Sequence[Any] = await db.fetch(
        select(outbox.c.id, outbox.c.request_id, trail.c.request_id.label("recorded"))
        .select_from(outbox.outerjoin(trail, trail.c.id == outbox.c.audit_id))
        .order_by(outbox.c.at)
    )
    missing = tuple(row.id for row in rows if row.recorded is None or row.recorded != row.request_id)
    return OutboxReport(len(rows), missing)
