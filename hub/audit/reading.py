"""Reading the audit trail: the records that touched a person (through the index up to its mark,
and the unindexed tail above it), their entries as a person's access log shows them, and how far
the index (hub/audit/index.py) is behind the records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, union_all

from hub.audit.entries import stored_entries
from hub.audit.records import AuditRecord, AuditSubject
from hub.data.db import Database, stored_utc


def mark() -> Any:
    """The index's mark as a scalar subquery: the highest record id it holds (0: none)."""
    return select(func.coalesce(func.max(AuditSubject.__table__.c.audit_id), 0)).scalar_subquery()


def touching(
    subject_id: str, *, others_only: bool = False, at_most: int | None = None, indexed_limit: int | None = None
) -> Select[Any]:
    """One statement (one snapshot: a round committing meanwhile cannot show a record twice or
    not at all) selecting the records that may hold `subject_id`, newest first: those the index
    names (only where someone else was involved, with `others_only`; the newest `indexed_limit`),
    and every record of the unindexed tail whose entries mention the ID. The tail's may mention it
    in no entry of theirs: `expand` filters. `at_most`: the records at or below that id only."""
    trail, index = AuditRecord.__table__, AuditSubject.__table__
    indexed = select(trail).join(index, index.c.audit_id == trail.c.id).where(index.c.subject_id == subject_id)
    tail = select(trail).where(trail.c.id > mark(), trail.c.entries.contains(f'"{subject_id}"', autoescape=True))
    if others_only:
        indexed = indexed.where(index.c.others)
    if at_most is not None:
        indexed, tail = indexed.where(trail.c.id <= at_most), tail.where(trail.c.id <= at_most)
    if indexed_limit is not None:  # a compound SELECT's part takes no LIMIT of its own on SQLite
        newest = indexed.order_by(trail.c.id.desc()).limit(indexed_limit).subquery()
        indexed = select(newest)
    both = union_all(indexed, tail).subquery()
    return select(both).order_by(both.c.id.desc())


@dataclass(frozen=True)
class Lag:
    records: int  # records above the mark
    seconds: float  # how long ago the oldest of them was appended (0: none)


async def lag(db: Database) -> Lag:
    """How far the index is behind the records."""
    trail = AuditRecord.__table__
    found: Any = (await db.fetch(select(func.count(), func.min(trail.c.at)).where(trail.c.id > mark())))[0]
    count, oldest = found
    if not count:
        return Lag(0, 0.0)
    return Lag(int(count), max(0.0, (dt.datetime.now(dt.UTC) - stored_utc(oldest)).total_seconds()))


@dataclass(frozen=True)
class AuditEntry:
    """One (person, sector, capacity, action) of one request, as a person's access log shows it."""

    audit_id: int
    at: dt.datetime
    request_id: str
    operation: str | None
    actor: str
    role: str
    purpose: str | None
    on_behalf_of: str | None
    subject_id: str
    sector: str
    acting_as: str
    fields: tuple[str, ...]
    action: str
    outcome: str


def expand(record: Any, subject_id: str | None = None) -> list[AuditEntry]:
    """A stored record's entries (all, or one person's), each with the record's who and when."""
    at = stored_utc(record.at)
    return [
        AuditEntry(
            record.id,
            at,
            record.request_id,
            record.operation,
            record.actor,
            record.role,
            record.purpose,
            record.on_behalf_of,
            subject,
            sector,
            acting_as,
            tuple(fields),
            action,
            outcome,
        )
        for subject, (sector, acting_as, fields, action, outcome) in stored_entries(record.entries)
        if subject_id is None or subject == subject_id
    ]


async def recorded(
    db: Database, *, request_ids: Sequence[str] | None = None, subject_id: str | None = None
) -> list[AuditEntry]:
    """The entries written for these requests, or about this person (through the index and its
    unindexed tail), in chain order."""
    table = AuditRecord.__table__
    statement = select(table).order_by(table.c.id)
    if subject_id is not None:
        found = touching(subject_id).subquery()
        statement = select(found).order_by(found.c.id)
        if request_ids is not None:
            statement = statement.where(found.c.request_id.in_(request_ids))
    elif request_ids is not None:
        statement = statement.where(table.c.request_id.in_(request_ids))
    return [entry for record in await db.fetch(statement) for entry in expand(record, subject_id)]
