"""The audit trail: every read or write of personal data, collected during a request and written
once at its end, append-only, each row chained to the previous one by a hash."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.db import Database
from hub.principal import Principal

GENESIS = "0" * 64
_LOCK_KEY = 0x5241_4254  # "RABT": PostgreSQL advisory lock that serialises chain appends


class AuditBase(DeclarativeBase):
    pass


class AuditRow(AuditBase):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject_at", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str | None] = mapped_column(String(128))
    actor: Mapped[str] = mapped_column(String(96), comment="who: individual:<id>, officer:<id>, service:<client>")
    role: Mapped[str] = mapped_column(String(16))
    acting_as: Mapped[str] = mapped_column(String(16), comment="self, guardian, sponsor, officer or service")
    subject_id: Mapped[str] = mapped_column(String(10), comment="whose data")
    sector: Mapped[str] = mapped_column(String(32))
    fields: Mapped[str] = mapped_column(Text, comment="GraphQL field names, comma-separated, sorted")
    action: Mapped[str] = mapped_column(String(64), comment="read, or the mutation's name")
    outcome: Mapped[str] = mapped_column(String(64), comment="ok, or the refusal code")
    purpose: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


CHAINED = (
    "at",
    "request_id",
    "operation",
    "actor",
    "role",
    "acting_as",
    "subject_id",
    "sector",
    "fields",
    "action",
    "outcome",
    "purpose",
)


COPIED = (*CHAINED, "prev_hash", "hash")


def row_hash(prev_hash: str, values: dict[str, Any]) -> str:
    payload = orjson.dumps([prev_hash, *(_canonical(values[name]) for name in CHAINED)])
    return hashlib.sha256(payload).hexdigest()


def _canonical(value: Any) -> Any:
    return _utc_text(value) if isinstance(value, dt.datetime) else value


@lru_cache(maxsize=1024)
def _utc_text(value: dt.datetime) -> str:
    # Cached: every row of a request shares one timestamp, and formatting it was most of the hashing.
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class AuditKey:
    subject_id: str
    sector: str
    acting_as: str
    action: str = "read"
    outcome: str = "ok"


@dataclass
class AuditBatch:
    """Every (subject, sector, acting-as, action) touched in this request, with the fields involved."""

    entries: dict[AuditKey, set[str]] = field(default_factory=dict)

    def note(
        self,
        subject_id: str,
        sector: str,
        acting_as: str,
        fields: set[str] | frozenset[str],
        action: str = "read",
        outcome: str = "ok",
    ) -> None:
        key = AuditKey(subject_id, sector, acting_as, action, outcome)
        known = self.entries.get(key)
        if known is None:
            self.entries[key] = set(fields)
        else:
            known.update(fields)

    def __len__(self) -> int:
        return len(self.entries)


class AuditWriter:
    """Appends requests' batches to the chain, group-committed: while one append is being written,
    the batches that arrive meanwhile wait and go together in the next transaction, so the chain's
    serial section (lock, last hash, insert) is paid once per group instead of once per request.
    Each request still returns only after its own rows are committed. Appends are serialised (one
    writer task in this process, an advisory lock across processes on PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, batch: AuditBatch, principal: Principal, request_id: str, operation: str | None) -> int:
        if not batch.entries:
            return 0
        now = dt.datetime.now(dt.UTC)
        rows = [
            dict(
                at=now,
                request_id=request_id,
                operation=operation,
                actor=principal.actor,
                role=principal.role.value,
                acting_as=key.acting_as,
                subject_id=key.subject_id,
                sector=key.sector,
                fields=",".join(sorted(fields)),
                action=key.action,
                outcome=key.outcome,
                purpose=principal.purpose,
            )
            for key, fields in sorted(batch.entries.items(), key=lambda item: _sort_key(item[0]))
        ]
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups())
        # shield: a client that goes away must not cancel the append other requests share.
        await asyncio.shield(written)
        return len(rows)

    async def _write_groups(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                await self._append([row for rows, _ in group for row in rows])
            except BaseException as error:  # every waiting request learns that its rows were not written
                for _, written in group:
                    if not written.done():
                        written.set_exception(error)
                if not isinstance(error, Exception):
                    raise
            else:
                for _, written in group:
                    if not written.done():
                        written.set_result(None)

    async def _append(self, rows: list[dict[str, Any]]) -> None:
        async with self._db.connect() as connection:
            if not self._db.is_sqlite:
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            last = (await connection.execute(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))).scalar()
            previous = last or GENESIS
            for row in rows:
                row["prev_hash"] = previous
                row["hash"] = previous = row_hash(previous, row)
            if self._db.is_sqlite:
                await connection.execute(AuditRow.__table__.insert(), rows)
            else:
                # COPY: measured 4 ms for 400 rows against 17.5 ms through executemany.
                raw = await connection.get_raw_connection()
                await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                    AuditRow.__tablename__,
                    records=[tuple(row[name] for name in COPIED) for row in rows],
                    columns=COPIED,
                )


def _sort_key(key: AuditKey) -> tuple[str, ...]:
    return (key.subject_id, key.sector, key.acting_as, key.action, key.outcome)


@dataclass(frozen=True)
class ChainReport:
    rows: int
    broken_at: int | None  # the id of the first row whose hash or link does not match

    @property
    def intact(self) -> bool:
        return self.broken_at is None


async def verify_chain(db: Database, batch_size: int = 5_000) -> ChainReport:
    """Recomputes every hash in id order: an edited, inserted or deleted row breaks the chain."""
    previous, count, after = GENESIS, 0, 0
    columns = [AuditRow.__table__.c[name] for name in ("id", *CHAINED, "prev_hash", "hash")]
    while True:
        rows: Sequence[Any] = await db.fetch(
            select(*columns).where(AuditRow.id > after).order_by(AuditRow.id).limit(batch_size)
        )
        if not rows:
            return ChainReport(count, None)
        for row in rows:
            values = row._asdict()
            at = values["at"]
            if at.tzinfo is None:  # SQLite returns naive datetimes for what was stored as UTC
                values["at"] = at.replace(tzinfo=dt.UTC)
            if values["prev_hash"] != previous or row_hash(previous, values) != values["hash"]:
                return ChainReport(count, values["id"])
            previous, count, after = values["hash"], count + 1, values["id"]
