"""The audit trail's tables: every read or write of personal data, collected during a request and
written once at its end, append-only.

One record per request (`audit_trail`), holding each (person, sector) it read or changed as an
entry (their stored form: hub/audit/entries.py), chained to the previous record by a hash
(hub/audit/chain.py); one narrow index row per person it touched (`audit_subjects`), which a
person's access log is read through (hub/audit/reading.py), derived from the records after their
commit, in bulk (hub/audit/index.py). Measured before this shape, one chained row per (person,
sector) cost ~10 ms of appending for a 100-person query (400 rows, 400 hashes) and was the largest
share of the compiled path's time."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class AuditBase(DeclarativeBase):
    # Declarative types __table__ as any FROM clause; every class here maps a Table.
    __table__: ClassVar[Table]


class AuditRecord(AuditBase):
    """One request that touched personal data: who asked, and every (person, sector) it read or
    changed, in `entries`. The chain runs through these rows."""

    __tablename__ = "audit_trail"

    # Assigned by the writer under the chain's lock, never by a sequence: two appends that raced
    # past the lock would collide on the key instead of forking the chain.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    operation: Mapped[str | None] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(96), comment="who: individual:<id>, officer:<id>, service:<client>")
    role: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(Text)
    on_behalf_of: Mapped[str | None] = mapped_column(
        String(10), comment="the establishment (unified number) the caller acted for; NULL: for no one"
    )
    entries: Mapped[str] = mapped_column(
        Text,
        comment=(
            "JSON: [[[subject_id, ...], [[sector, acting_as, [fields], action, outcome], ...]], ...], sorted; "
            "before 2026-12: [[subject_id, sector, acting_as, [fields], action, outcome], ...]"
        ),
    )
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditSubject(AuditBase):
    """Whose data a record touched: the index a person's access log is read through. Derived from
    the chained `entries` after their commit (hub/audit/index.py), so `verify_chain` checks it
    against them."""

    __tablename__ = "audit_subjects"
    __table_args__ = (Index("ix_audit_subjects_audit_id", "audit_id"),)

    subject_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    audit_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    others: Mapped[bool] = mapped_column(Boolean, comment="someone else than the person read or changed their data")


CHAINED = ("at", "request_id", "operation", "actor", "role", "purpose", "entries")
COPIED = ("id", *CHAINED, "on_behalf_of", "prev_hash", "hash")
INDEXED = ("subject_id", "audit_id", "others")
