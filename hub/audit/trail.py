"""The audit trail: every read or write of personal data, collected during a request and written
once at its end, append-only.

One record per request (`audit_trail`), holding each (person, sector) it read or changed as an
entry, chained to the previous record by a hash; one narrow index row per person it touched
(`audit_subjects`), which a person's access log is read through, derived from the records after
their commit, in bulk (hub/audit/index.py). Measured before this shape, one
chained row per (person, sector) cost ~10 ms of appending for a 100-person query (400 rows, 400
hashes) and was the largest share of the compiled path's time.

A record's entries are grouped: the people a request touched in the same way (the same sectors,
capacity, fields, action and outcome) share one group, so a 100-person answer writes its four
accesses once with 100 IDs (1.5 kB) instead of 400 rows (30 kB). The long form cost PostgreSQL
~250 µs more per append (parsing it, compressing it into TOAST). Records written before the grouped
form hold the long form; both are read."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, NamedTuple

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    Select,
    String,
    Table,
    Text,
    func,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.contract.principal import Principal
from hub.data.db import SQLITE_WRITER_PRAGMAS, Database, stored_utc
from hub.data.rows import AsyncpgRows, Sqlite3Rows
from hub.telemetry import metrics, traces

GENESIS = "0" * 64
log = logging.getLogger("rabt.audit")


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
COPIED = ("id", *CHAINED, "prev_hash", "hash")
INDEXED = ("subject_id", "audit_id", "others")


# ---- the index's mark and what it does not cover yet (hub/audit/index.py keeps it up) ----


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


def row_hash(prev_hash: str, values: Mapping[str, Any]) -> str:
    """The hash over the previous one and the chained columns, `at` as UTC text."""
    payload = orjson.dumps([prev_hash, utc_text(values["at"]), *[values[name] for name in CHAINED[1:]]])
    return hashlib.sha256(payload).hexdigest()


def utc_text(value: dt.datetime) -> str:
    """`value` as "%Y-%m-%dT%H:%M:%S.%fZ" in UTC, the chain's format since its first record;
    isoformat writes it several times faster than strftime."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


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
    subject_id: str
    sector: str
    acting_as: str
    fields: tuple[str, ...]
    action: str
    outcome: str


# How a request touched one person: sector, acting_as, fields, action, outcome.
Accessed = tuple[str, str, Sequence[str], str, str]


def grouped(entries: Mapping[AuditKey, frozenset[str]]) -> list[tuple[list[str], tuple[Accessed, ...]]]:
    """A request's entries as stored: `[[subject_id, ...], [access, ...]]` for each set of people
    touched in the same way, the groups in order of their first subject, everything sorted."""
    in_order: dict[frozenset[str], tuple[str, ...]] = {}  # a plan's field sets are a few, shared by every person
    accesses: dict[str, list[Accessed]] = {}
    for (subject, sector, acting_as, action, outcome), fields in entries.items():
        names = in_order.get(fields)
        if names is None:
            names = in_order[fields] = tuple(sorted(fields))
        found = accesses.get(subject)
        if found is None:
            accesses[subject] = [(sector, acting_as, names, action, outcome)]
        else:
            found.append((sector, acting_as, names, action, outcome))
    groups: dict[tuple[Accessed, ...], list[str]] = {}
    for subject in sorted(accesses):
        alike = tuple(sorted(accesses[subject]))
        subjects = groups.get(alike)
        if subjects is None:
            groups[alike] = [subject]
        else:
            subjects.append(subject)
    return [(subjects, alike) for alike, subjects in groups.items()]


def stored_groups(text: str) -> list[tuple[list[str], list[Accessed]]]:
    """A record's `entries` column as groups, whichever form it was stored in: a long-form row
    `[subject_id, sector, acting_as, fields, action, outcome]` is a group of one."""
    return [
        ([item[0]], [tuple(item[1:])]) if isinstance(item[0], str) else (item[0], [tuple(access) for access in item[1]])
        for item in orjson.loads(text)
    ]


def stored_entries(text: str) -> list[tuple[str, Accessed]]:
    """A record's `entries` column as (subject, access) pairs, sorted: either stored form."""
    return sorted(
        (subject, access) for subjects, accesses in stored_groups(text) for subject in subjects for access in accesses
    )


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


class AuditKey(NamedTuple):
    """A tuple, not a dataclass: a 100-person answer makes 400 of them, and a frozen dataclass's
    construction was a visible share of the compiled path's time (cProfile)."""

    subject_id: str
    sector: str
    acting_as: str
    action: str = "read"
    outcome: str = "ok"


@dataclass
class AuditBatch:
    """Every (subject, sector, acting-as, action) touched in this request, with the fields involved."""

    entries: dict[AuditKey, frozenset[str]] = field(default_factory=dict)

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
        self.entries[key] = frozenset(fields) if known is None else known | fields

    def __len__(self) -> int:
        return len(self.entries)


class AuditWriter:
    """Appends requests' batches to the chain, group-committed: while one append is being written,
    the batches that arrive meanwhile wait and go together in the next append, so the chain's
    serial section is paid once per group instead of once per request. Each request still returns
    only after its own rows are committed. In this process one writer task appends at a time. A
    group whose append fails is appended again record by record: a record the database refuses
    (a value too long for its column, a NUL PostgreSQL cannot store) fails its own request alone.

    Across processes (uvicorn workers, subgraphs) on PostgreSQL, appends are optimistic: a group is
    linked after the tip this process last wrote, and written in one statement. A record's id is its
    position in the chain and the table's key, so if another process appended meanwhile, the insert
    collides on that key and nothing is written; the writer reads the new tip and links the group
    again. An advisory lock, a tip read and a transaction per append cost five more round trips
    (measured: 250 µs of the hub's CPU and 130 µs of the database's per headline request).

    An append writes the records alone; `on_append` (the subject indexer's nudge) is called after
    each, and the index rows follow in bulk (hub/audit/index.py)."""

    def __init__(self, db: Database, on_append: Callable[[], None] | None = None) -> None:
        self._db = db
        self._on_append = on_append
        self._waiting: list[tuple[_Pending, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._sqlite: _SqliteAppender | None = None
        self._tip: tuple[int, str] | None = None  # the last record this process wrote: (id, hash)

    async def write(self, batch: AuditBatch, principal: Principal, request_id: str, operation: str | None) -> int:
        if not batch.entries:
            return 0
        record = _Pending(
            dict(
                at=dt.datetime.now(dt.UTC),
                request_id=request_id,
                operation=operation,
                actor=principal.actor,
                role=principal.role.value,
                purpose=principal.purpose,
                entries=orjson.dumps(grouped(batch.entries)).decode(),
            )
        )
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((record, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups())
        # A client that goes away cancels only this future: the append is the writer task's, and
        # the writer skips futures already done.
        tracer = traces.tracer()
        if tracer is None:
            await written
        else:  # the request's span: from its record's arrival to its group's commit
            with tracer.start_as_current_span(
                "audit append", attributes={"rabt.audit.entries": len(batch.entries)}
            ) as span:
                await written
                span.set_attribute("rabt.audit.group_size", record.group)
        return len(batch.entries)

    async def _write_groups(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                await self._append([record for record, _ in group])
            except Exception as error:
                if len(group) == 1:
                    _settle(group, error)
                else:
                    await self._append_each(group)
            except BaseException as error:  # every waiting request learns that its record was not written
                _settle(group, error)
                raise
            else:
                _settle(group, None)
            if self._on_append is not None:
                self._on_append()

    async def _append_each(self, group: list[tuple[_Pending, asyncio.Future[None]]]) -> None:
        """Appends a group's records one by one after the group's append failed, so that a record
        the database refuses fails its own request only (an append is one statement: nothing of
        the group was written)."""
        for index, one in enumerate(group):
            try:
                await self._append([one[0]])
            except Exception as error:
                _settle([one], error)
            except BaseException as error:
                _settle(group[index:], error)
                raise
            else:
                _settle([one], None)

    async def _append(self, pending: list[_Pending]) -> None:
        started = time.perf_counter()
        try:
            await self._append_group(pending)
        except BaseException:
            metrics.AUDIT_ERRORS.inc()
            raise
        metrics.AUDIT_SECONDS.observe(time.perf_counter() - started)
        metrics.AUDIT_GROUP.observe(len(pending))
        for one in pending:
            one.group = len(pending)

    async def _append_group(self, pending: list[_Pending]) -> None:
        rows = self._db.rows
        if isinstance(rows, Sqlite3Rows):
            if self._sqlite is None:
                self._sqlite = _SqliteAppender(self._db, rows.path)
            await self._sqlite.append(pending)
        elif isinstance(rows, AsyncpgRows):
            import asyncpg

            await self._append_after_tip(
                pending, partial(_AsyncpgChain.on, self._db, rows), asyncpg.UniqueViolationError
            )
        else:
            await self._append_after_tip(pending, partial(_CoreChain.on, self._db), IntegrityError)

    async def _append_after_tip(
        self,
        pending: list[_Pending],
        chain: Callable[[], AbstractAsyncContextManager[_Chain]],
        collision: type[Exception],
    ) -> None:
        for _ in range(_ATTEMPTS):
            async with chain() as appending:
                tip, self._tip = self._tip or await appending.tip(), None  # unknown until this append is written
                records = _chained(pending, tip)
                try:
                    await appending.insert(records)
                except collision:
                    continue  # another process appended first: link after its records instead
            self._tip = (records[-1]["id"], records[-1]["hash"])
            return
        raise RuntimeError(f"audit: {_ATTEMPTS} appends in a row collided with other processes' appends")

    async def aclose(self) -> None:
        """Closes what the writer holds outside the hub's pools (the app's lifespan calls it)."""
        if self._sqlite is not None:
            appender, self._sqlite = self._sqlite, None
            await appender.aclose()


def pending_record(batch: AuditBatch, principal: Principal, request_id: str, operation: str | None) -> _Pending:
    """A request's batch as the record it is appended as (its place in the chain still to come)."""
    return _Pending(
        dict(
            at=dt.datetime.now(dt.UTC),
            request_id=request_id,
            operation=operation,
            actor=principal.actor,
            role=principal.role.value,
            purpose=principal.purpose,
            entries=orjson.dumps(grouped(batch.entries)).decode(),
        )
    )


def _settle(group: Sequence[tuple[_Pending, asyncio.Future[None]]], error: BaseException | None) -> None:
    """Tells each waiting request of the group whether its record was written (None) or not."""
    for _, written in group:
        if not written.done():  # a client that went away cancelled its own
            if error is None:
                written.set_result(None)
            else:
                written.set_exception(error)


_ATTEMPTS = 20  # each collision means another process's append went in: the chain moves on regardless
_TIP = f"SELECT id, hash FROM {AuditRecord.__tablename__} ORDER BY id DESC LIMIT 1"


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


class _Chain:
    """Where one attempt at an append reads the chain's tip and inserts its rows."""

    async def tip(self) -> tuple[int, str]:
        raise NotImplementedError

    async def insert(self, records: list[dict[str, Any]]) -> None:
        raise NotImplementedError


class _AsyncpgChain(_Chain):
    """PostgreSQL on a connection of the driver path's pool: no SQLAlchemy layer (measured ~4 % of
    a compiled request's CPU). Every statement is shown to the statement listeners."""

    def __init__(self, db: Database, connection: Any) -> None:
        self._sent = db.sent_by_driver if db.listening else _unheard
        self._connection = connection

    @classmethod
    @asynccontextmanager
    async def on(cls, db: Database, rows: AsyncpgRows) -> AsyncIterator[_Chain]:
        async with (await rows.pool()).acquire() as connection:
            yield cls(db, connection)

    async def tip(self) -> tuple[int, str]:
        self._sent(_TIP, ())
        return _tip(await self._connection.fetchrow(_TIP))

    async def insert(self, records: list[dict[str, Any]]) -> None:
        self._sent(_APPEND, ())
        await self._connection.execute(_APPEND, orjson.dumps(records).decode())


class _CoreChain(_Chain):
    """Any other database URL, through SQLAlchemy: each attempt in a transaction of its own."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    @classmethod
    @asynccontextmanager
    async def on(cls, db: Database) -> AsyncIterator[_Chain]:
        async with db.connect() as connection:
            yield cls(connection)

    async def tip(self) -> tuple[int, str]:
        table = AuditRecord.__table__
        statement = select(table.c.id, table.c.hash).order_by(table.c.id.desc()).limit(1)
        return _tip((await self._connection.execute(statement)).first())

    async def insert(self, records: list[dict[str, Any]]) -> None:
        await self._connection.execute(AuditRecord.__table__.insert(), records)


class _SqliteAppender:
    """SQLite file: each append with the stdlib driver, on the event loop when SQLite's write lock
    is free at once, otherwise in a worker thread that waits for it. A mutation's open transaction
    holds the lock across awaits: waiting for it on the loop would stop the loop that must finish
    that mutation, so the loop's connection never waits (busy timeout 0) and hands the append to
    the thread's (30 s). Through aiosqlite and SQLAlchemy an append was five hops to aiosqlite's
    thread; one hop to a thread of our own for every append still cost a served headline request
    ~150 µs of CPU (427 against 277 µs with the append on the loop, in one interleaved run),
    twice the append's own work.

    The loop's connection never checkpoints (a checkpoint copies pages back and syncs the file):
    at most once a second, after an append, the thread's connection runs a passive checkpoint."""

    def __init__(self, db: Database, path: str) -> None:
        self._db = db
        self._path = path
        self._on_loop: sqlite3.Connection | None = None
        self._in_thread: sqlite3.Connection | None = None
        self._thread_lock = threading.Lock()  # the append that waits and the checkpoint share its connection
        self._checkpoint: asyncio.Future[None] | None = None
        self._checkpointed_at = 0.0
        dialect = db.engine.dialect
        self._insert = _positional_insert(AuditRecord.__table__, dialect)

    async def append(self, pending: list[_Pending]) -> None:
        if self._db.listening:  # on the loop, as the other statements are reported
            self._db.sent_by_driver(_TIP, ())
            self._db.sent_by_driver(self._insert[0], ())
        if self._on_loop is None:
            self._on_loop = self._connect(timeout=0, pragmas=(*SQLITE_WRITER_PRAGMAS, "PRAGMA wal_autocheckpoint=0"))
        try:
            self._append(self._on_loop, pending)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            await asyncio.to_thread(self._append_waiting, pending)
        self._checkpoint_soon()

    def _connect(self, *, timeout: float, pragmas: Sequence[str]) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, timeout=timeout, isolation_level=None, check_same_thread=False)
        for pragma in pragmas:
            connection.execute(pragma)
        return connection

    def _thread_connection(self) -> sqlite3.Connection:
        if self._in_thread is None:
            self._in_thread = self._connect(timeout=30, pragmas=SQLITE_WRITER_PRAGMAS)  # as the hub's others
        return self._in_thread

    def _append_waiting(self, pending: list[_Pending]) -> None:
        with self._thread_lock:
            self._append(self._thread_connection(), pending)

    def _append(self, connection: sqlite3.Connection, pending: list[_Pending]) -> None:
        connection.execute("BEGIN IMMEDIATE")  # the write lock first: the tip cannot move under us
        try:
            records = _chained(pending, _tip(connection.execute(_TIP).fetchone()))
            sql, columns, convert = self._insert
            connection.executemany(sql, [[convert(name, row[name]) for name in columns] for row in records])
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def _checkpoint_soon(self) -> None:
        now = time.monotonic()
        if now - self._checkpointed_at < CHECKPOINT_EVERY or not (self._checkpoint is None or self._checkpoint.done()):
            return
        self._checkpointed_at = now
        self._checkpoint = asyncio.ensure_future(asyncio.to_thread(self._checkpoint_now))
        self._checkpoint.add_done_callback(_log_failed_checkpoint)

    def _checkpoint_now(self) -> None:
        with self._thread_lock:
            self._thread_connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def aclose(self) -> None:
        if self._checkpoint is not None:
            await asyncio.wait([self._checkpoint])
        await asyncio.to_thread(self._close_connections)

    def _close_connections(self) -> None:
        with self._thread_lock:  # after any append still waiting in its thread
            for connection in (self._on_loop, self._in_thread):
                if connection is not None:
                    connection.close()
            self._on_loop = self._in_thread = None


CHECKPOINT_EVERY = 1.0  # seconds: the WAL grows by at most a second of appends between checkpoints


def _log_failed_checkpoint(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:  # the next one tries again
        log.warning("audit: a WAL checkpoint failed", exc_info=done.exception())


def _positional_insert(table: Any, dialect: Any) -> tuple[str, list[str], Callable[[str, Any], Any]]:
    """An INSERT's SQL text as SQLAlchemy sends it to SQLite, its parameters' column order, and a
    converter of values to what SQLAlchemy would bind (datetimes as SQLite text)."""
    compiled = table.insert().compile(dialect=dialect)
    columns = list(compiled.positiontup or ())
    processors = {
        column.name: processor
        for column in table.columns
        if (processor := column.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }

    def convert(name: str, value: Any) -> Any:
        processor = processors.get(name)
        return processor(value) if processor is not None and value is not None else value

    return str(compiled), columns, convert


def _unheard(_statement: str, _parameters: Sequence[Any]) -> None:
    return None


def _tip(last: Any) -> tuple[int, str]:
    """The chain's tip from its last record's (id, hash) row, or before the first record."""
    return (last[0], last[1]) if last else (0, GENESIS)


def _chained(pending: list[_Pending], tip: tuple[int, str]) -> list[dict[str, Any]]:
    """The pending records linked after the chain's `tip` (the last record's id and hash), with
    their ids."""
    next_id, previous = tip[0] + 1, tip[1]
    records: list[dict[str, Any]] = []
    for item in pending:
        record = item.values
        record["id"] = next_id
        record["prev_hash"] = previous
        record["hash"] = previous = row_hash(previous, record)
        records.append(record)
        next_id += 1
    return records


chained = _chained  # the records of an append linked after a tip (hub.audit.outbox appends one so)


@dataclass
class _Pending:
    values: dict[str, Any]  # the record's columns, but for the chain's (id, prev_hash, hash)
    group: int = 0  # the records of the append that wrote it (its trace span says so)


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


def others_of(groups: Sequence[tuple[Sequence[str], Sequence[Sequence[Any]]]]) -> dict[str, bool]:
    """Each subject of the grouped entries, and whether someone else than that person was involved
    (in any of the subject's groups: the long form has one per access)."""
    others: dict[str, bool] = {}
    for subjects, accesses in groups:
        someone_else = any(acting_as != "self" for _, acting_as, *_ in accesses)
        for subject in subjects:
            others[subject] = others.get(subject, False) or someone_else
    return others
