"""No write without its audit where a sector's data lives in a database of its own.

The audit trail is the hub's; a sector apart (`RABT_<SECTOR>_DATABASE_URL`) commits its writes in
its own database, and no transaction spans the two. So the mutation's transaction writes, beside
its rows, one row of `audit_sector_outbox` in the sector's database: the audit record to append,
whole (who, when, which request and operation, the entries: person, sector, capacity, action) and
the notices the write keeps for people. Both commit together or not at all.

After the commit the row is *relayed*: in one transaction of the hub's database its record is
appended to the chain, with the row of the hub's `audit_outbox` that bears the sector row's id (its
key) and the notices kept in the inbox; then the sector row is marked with the record's id. The
answer waits for the relay (unless the hub's database cannot take it now: the write and its record
stand, and the next round relays it). A process killed between the sector's commit and the mark
leaves the row unmarked, and a relay run again (at start, and every few seconds: `hub.api.relay`) finds the
hub's `audit_outbox` row if the record was appended, and only marks: a row's record is appended once.

`python -m hub audit-verify` reads each sector database's outbox: rows not relayed yet are the
relay's lag; a relayed row whose record is not in the chain (for the same request), or not the
one the hub's `audit_outbox` says the relay appended for it (a row marked by hand), is a write
without its audit.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, Integer, String, Table, Text, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.audit.chain import pending_record
from hub.audit.outbox import OUTBOX, TRAIL, Write, append_values
from hub.contract import sector_metadata
from hub.contract.principal import Principal
from hub.data.db import Database, stored_utc

CHUNK = 1_000  # ids per IN list when verifying


class RelayBase(DeclarativeBase):
    metadata = sector_metadata()
    # Declarative types __table__ as any FROM clause; every class here maps a Table.
    __table__: ClassVar[Table]


class SectorOutbox(RelayBase):
    """One write of a sector apart, with the audit record to append for it in the hub's chain."""

    __tablename__ = "audit_sector_outbox"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="random; the hub's audit_outbox row's id")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), comment="when the write committed, about")
    request_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str | None] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(96))
    role: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(Text)
    on_behalf_of: Mapped[str | None] = mapped_column(String(10), comment="the establishment the caller acted for")
    sector: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(10))
    acting_as: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(128))
    entries: Mapped[str] = mapped_column(Text, comment="the record's entries, as audit_trail stores them")
    notices: Mapped[str | None] = mapped_column(Text, comment="JSON: the notices to keep in the hub's inbox")
    audit_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), index=True, comment="the audit_trail record; NULL: not relayed"
    )


SECTOR_OUTBOX = SectorOutbox.__table__
RECORD = ("at", "request_id", "operation", "actor", "role", "purpose", "on_behalf_of", "entries")  # what it chains


async def outbox_in(
    session: AsyncSession,
    write: Write,
    principal: Principal,
    request_id: str,
    operation: str | None,
    notices: str | None,
) -> dict[str, Any]:
    """Writes the write's outbox row in `session`'s open transaction (the sector's); returns it."""
    row = dict(
        pending_record(write.batch(), principal, request_id, operation).values,
        id=os.urandom(16).hex(),
        sector=write.sector,
        subject_id=write.subject_id,
        acting_as=write.acting_as,
        action=write.action,
        notices=notices,
        audit_id=None,
    )
    await session.execute(SECTOR_OUTBOX.insert().values(row))
    return row


async def append_relayed(session: AsyncSession, row: Mapping[str, Any]) -> tuple[int, bool]:
    """In the hub's open transaction: the record of the outbox `row`, appended unless an earlier
    relay appended it (the hub's `audit_outbox` holds the row's id). Returns the record's id and
    whether this call appended it. Two relays of one row at once: the second's `audit_outbox`
    insert collides on the key (IntegrityError) and its transaction rolls back."""
    found = (await session.execute(select(OUTBOX.c.audit_id).where(OUTBOX.c.id == row["id"]))).first()
    if found is not None and found.audit_id is not None:
        return int(found.audit_id), False
    values = {name: row[name] for name in RECORD}
    values["at"] = stored_utc(values["at"])
    write = Write(row["subject_id"], row["sector"], row["acting_as"], row["action"])
    return await append_values(session, values, write, row["request_id"], outbox_id=row["id"]), True


async def mark_relayed(sector_db: Database, outbox_id: str, audit_id: int) -> None:
    async with sector_db.connect() as connection:
        await connection.execute(update(SECTOR_OUTBOX).where(SECTOR_OUTBOX.c.id == outbox_id).values(audit_id=audit_id))


async def unrelayed(sector_db: Database, *, older_than: float = 0.0, limit: int = 500) -> list[dict[str, Any]]:
    """The oldest rows not relayed yet, those written at least `older_than` seconds ago only."""
    statement = select(SECTOR_OUTBOX).where(SECTOR_OUTBOX.c.audit_id.is_(None))
    if older_than > 0:
        before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=older_than)
        statement = statement.where(SECTOR_OUTBOX.c.at <= before)
    rows = await sector_db.fetch(statement.order_by(SECTOR_OUTBOX.c.at, SECTOR_OUTBOX.c.id).limit(limit))
    return [row._asdict() for row in rows]


@dataclass(frozen=True)
class RelayReport:
    """One sector database's outbox against the hub's chain."""

    writes: int  # outbox rows
    unrelayed: int  # rows whose record is not appended (or not marked) yet: the relay's lag
    lag_seconds: float  # how long ago the oldest of them was written (0: none)
    missing: tuple[str, ...]  # outbox ids of relayed rows that point at no record of their request

    @property
    def whole(self) -> bool:
        return not self.missing


async def verify_relayed(hub: Database, sector_db: Database) -> RelayReport:
    """Every relayed row of `sector_db`'s outbox points at the record of the hub's chain the relay
    appended for it (its `audit_outbox` row), of the same request; the rows not relayed yet are
    counted, with the age of the oldest."""
    counted: Any = (
        await sector_db.fetch(
            select(func.count(), func.min(SECTOR_OUTBOX.c.at)).where(SECTOR_OUTBOX.c.audit_id.is_(None))
        )
    )[0]
    waiting, oldest = counted
    total = int((await sector_db.fetch(select(func.count()).select_from(SECTOR_OUTBOX)))[0][0])
    lag = 0.0 if not waiting else max(0.0, (dt.datetime.now(dt.UTC) - stored_utc(oldest)).total_seconds())
    missing: list[str] = []
    after = ""
    while True:
        rows: Sequence[Any] = await sector_db.fetch(
            select(SECTOR_OUTBOX.c.id, SECTOR_OUTBOX.c.request_id, SECTOR_OUTBOX.c.audit_id)
            .where(SECTOR_OUTBOX.c.audit_id.is_not(None), SECTOR_OUTBOX.c.id > after)
            .order_by(SECTOR_OUTBOX.c.id)
            .limit(CHUNK)
        )
        if not rows:
            return RelayReport(total, int(waiting), lag, tuple(missing))
        # The hub's own `audit_outbox` row (the relay writes it with the record) names the record
        # each row was relayed to: a row marked by hand in the sector's database points at none.
        recorded = {
            found.id: (found.audit_id, found.request_id)
            for found in await hub.fetch(
                select(OUTBOX.c.id, OUTBOX.c.audit_id, TRAIL.c.request_id)
                .join(TRAIL, TRAIL.c.id == OUTBOX.c.audit_id)
                .where(OUTBOX.c.id.in_([row.id for row in rows]))
            )
        }
        missing.extend(row.id for row in rows if recorded.get(row.id) != (row.audit_id, row.request_id))
        after = rows[-1].id
