"""Verifying the audit trail: every hash recomputed in id order, and the index (`audit_subjects`)
checked against the records' entries up to its mark (`python -m hub audit-verify`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hub.audit.chain import GENESIS, row_hash
from hub.audit.entries import others_of, stored_groups
from hub.audit.reading import lag, mark
from hub.audit.records import AuditRecord, AuditSubject
from hub.data.db import Database, stored_utc


@dataclass(frozen=True)
class ChainReport:
    rows: int  # records checked and found good
    broken_at: int | None  # the id of the first record whose hash, link or index rows do not match
    unindexed: int = 0  # records above the index's mark: its lag (hub/audit/index.py)
    lag_seconds: float = 0.0  # how long ago the oldest of them was appended

    @property
    def intact(self) -> bool:
        return self.broken_at is None


async def verify_chain(db: Database, batch_size: int = 5_000) -> ChainReport:
    """Recomputes every hash in id order: an edited, inserted or deleted record breaks the chain;
    so does an index row (`audit_subjects`) that does not match its record's entries. The index
    covers the records up to its mark; those above are its lag, reported, not a break."""
    behind = await lag(db)  # read first: the index only moves on, so every record below it is checked
    mark = await _mark(db)
    previous, count, after = GENESIS, 0, 0
    table, index = AuditRecord.__table__, AuditSubject.__table__
    while True:
        records: Sequence[Any] = await db.fetch(
            select(table).where(table.c.id > after).order_by(table.c.id).limit(batch_size)
        )
        if not records:
            stray = await db.fetch(select(index.c.audit_id).where(index.c.audit_id > after).limit(1))
            return ChainReport(count, stray[0].audit_id if stray else None, behind.records, behind.seconds)
        indexed: dict[int, set[tuple[str, bool]]] = {}
        for row in await db.fetch(select(index).where(index.c.audit_id > after, index.c.audit_id <= records[-1].id)):
            indexed.setdefault(row.audit_id, set()).add((row.subject_id, bool(row.others)))
        for record in records:
            values = record._asdict()
            values["at"] = stored_utc(values["at"])
            if values["prev_hash"] != previous or row_hash(previous, values) != values["hash"]:
                return ChainReport(count, record.id)
            rows = indexed.pop(record.id, set())
            if record.id > mark and rows:
                mark = record.id  # indexed since the lag was read
            if record.id <= mark and rows != set(others_of(stored_groups(values["entries"])).items()):
                return ChainReport(count, record.id)
            previous, count, after = values["hash"], count + 1, record.id
        if indexed:  # index rows that point between records, at no record
            return ChainReport(count, min(indexed))


async def _mark(db: Database) -> int:
    return int((await db.fetch(select(mark())))[0][0])
