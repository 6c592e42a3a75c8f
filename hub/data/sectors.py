"""Where each sector's data lives and what stands between a request and it: the sector's database
(`RABT_<SECTOR>_DATABASE_URL`, the hub's by default), its time budget within a request, and the
fault switch (`RABT_FAULTS`) tests and demos take a sector down with.

A read that fails for want of the database (refused, dropped, timed out, out of pooled
connections) is an *outage*: the sector's fields answer `SECTOR_UNAVAILABLE`, never a null that
reads as "nothing there" and never an internal error."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from sqlalchemy import exc as sa_exc

from hub.contract import IDENTITY, Loads, Sector
from hub.contract.errors import SectorUnavailable
from hub.data.db import Budgets, Database
from hub.data.row_source import KeyBatch, ReadSession, Row, RowSource

FaultKind = Literal["down", "delay", "error"]


@dataclass
class Writing:
    """The mutation running in this task: its sector (whose database `context.transaction()` opens
    on), the person it changes and its name; `audited` once its record was appended in its own
    transaction (hub.audit.outbox); `earlier`, the (person, sector) write grants the request held
    before it (another mutation's); `named`, the other people it found registered by the ID it was
    given (a new sponsor, a buyer): their existence is in its answer, so they are in its audit."""

    sector: str
    subject_id: str | None
    action: str
    audited: bool = False
    earlier: frozenset[tuple[str, str]] = frozenset()
    named: set[str] = field(default_factory=set)


WRITING: ContextVar[Writing | None] = ContextVar("rabt_writing", default=None)

PART_DEADLINE: ContextVar[float | None] = ContextVar("rabt_part_deadline", default=None)
"""The event loop's time by which this part's answer must be in the hands of whoever asked (the
gateway, or the part that called `/checks` or `/rules`): every budget within the request, a
sector's reads and a call to another part, is cut to what is left of it, so the innermost failure
is the one reported, not the outer caller's timeout."""


def within(budget: float | None) -> float | None:
    """`budget` cut to what is left before `PART_DEADLINE` (None: no limit at all)."""
    deadline = PART_DEADLINE.get()
    if deadline is None:
        return budget
    left = max(0.0, deadline - asyncio.get_running_loop().time())
    return left if budget is None else min(budget, left)


@dataclass(frozen=True)
class Fault:
    """`down`: every read fails at once, as a database that refuses connections; `delay`: every
    read waits `seconds` first (within the sector's budget); `error`: every read fails with an
    unexpected error (INTERNAL_ERROR), as a bug would."""

    kind: FaultKind
    seconds: float = 0.0


class FaultError(RuntimeError):
    """What a sector switched to `error` raises: not an outage, an unexpected failure."""


class SectorDown(ConnectionRefusedError):
    """What a sector switched `down` raises: an outage, as a refused connection is."""


_DELAY = re.compile(r"delay:(\d+(?:\.\d+)?)(ms|s)?")


def parse_faults(text: str) -> dict[str, Fault]:
    """`traffic=down,passports=delay:2s,civil_affairs=error` -> each sector's fault; ValueError
    names the part it cannot read."""
    faults: dict[str, Fault] = {}
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        sector, _, what = part.partition("=")
        sector, what = sector.strip(), what.strip()
        delay = _DELAY.fullmatch(what)
        if not sector:
            raise ValueError(f"RABT_FAULTS: {part!r} names no sector")
        if what in ("down", "error"):
            faults[sector] = Fault(what)  # type: ignore[arg-type]
        elif delay is not None:
            seconds = float(delay.group(1)) / (1000 if delay.group(2) == "ms" else 1)
            faults[sector] = Fault("delay", seconds)
        else:
            raise ValueError(f"RABT_FAULTS: {part!r}: expected <sector>=down, =error or =delay:<seconds>s")
    return faults


def _outage_types() -> tuple[type[BaseException], ...]:
    import asyncpg

    return (
        TimeoutError,
        ConnectionError,
        OSError,
        sa_exc.TimeoutError,  # no pooled connection within the pool budget
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        asyncpg.PostgresConnectionError,
        asyncpg.InterfaceError,
        asyncpg.QueryCanceledError,  # statement_timeout or lock_timeout on the server
        asyncpg.TooManyConnectionsError,
        asyncpg.CannotConnectNowError,
        asyncpg.InsufficientResourcesError,
        asyncpg.OperatorInterventionError,
    )


_OUTAGES = _outage_types()
_SQLITE_OUTAGES = ("database is locked", "unable to open", "disk i/o error", "database table is locked")


def is_outage(error: BaseException) -> bool:
    """Whether `error` says the database could not be read or written now (rather than a bug or
    a refusal): refused, dropped, too slow, out of connections, locked past the busy timeout."""
    if isinstance(error, SectorUnavailable):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return any(text in str(error).lower() for text in _SQLITE_OUTAGES)
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None and error.orig is not error:
        if error.connection_invalidated:
            return True
        if isinstance(error.orig, sqlite3.OperationalError) or not isinstance(error, sa_exc.OperationalError):
            # asyncpg's own error (a cancelled statement) is the cause of the adapter's.
            driver = error.orig.__cause__
            return is_outage(error.orig) or (driver is not None and driver is not error and is_outage(driver))
    return isinstance(error, _OUTAGES)


class Stores:
    """Each enabled sector's database and fault, and the budget of a sector's reads per request.
    Sectors on the same URL share one `Database`; identity, accounts and the audit trail are the
    hub's own (`hub`)."""

    def __init__(
        self,
        hub: Database,
        sectors: Sequence[Sector] = (),
        *,
        urls: Mapping[str, str] | None = None,
        faults: Mapping[str, Fault] | None = None,
        budget: float | None = None,
        budgets: Budgets | None = None,
    ) -> None:
        self.hub = hub
        self.faults = dict(faults or {})
        self.budget = budget
        self._tables: dict[str, str] = {}
        self._databases: dict[str, Database] = {}
        by_url: dict[str, Database] = {str(hub.url.render_as_string(hide_password=False)): hub}
        for sector in sectors:
            for table in sector.metadata.tables.values():
                self._tables[table.name] = sector.name
            url = (urls or {}).get(sector.name)
            if url:
                found = by_url.get(url)
                if found is None:
                    found = by_url[url] = Database(url, budgets)
                self._databases[sector.name] = found

    is_outage = staticmethod(is_outage)

    @staticmethod
    def unavailable(sector: str) -> SectorUnavailable:
        return SectorUnavailable(sector)

    @property
    def routed(self) -> bool:
        """Whether some sector lives in a database other than the hub's."""
        return any(db is not self.hub for db in self._databases.values())

    def database(self, sector: str | None) -> Database:
        """The database `sector`'s tables live in (the hub's for identity and for None)."""
        return self._databases.get(sector, self.hub) if sector is not None else self.hub

    def own_databases(self) -> dict[str, Database]:
        """The sectors that have a database other than the hub's, with it."""
        return {sector: db for sector, db in self._databases.items() if db is not self.hub}

    def databases(self) -> list[Database]:
        """Every distinct database, the hub's first."""
        found = [self.hub]
        for db in self._databases.values():
            if all(db is not known for known in found):
                found.append(db)
        return found

    def sector_of(self, loads: Loads[Any, Any]) -> str:
        return self.sector_of_table(loads.table.name)

    def sector_of_table(self, name: str) -> str:
        return self._tables.get(name, IDENTITY)

    def rows(self, sector: str) -> RowSource:
        return self.database(sector).rows

    async def enter(self, sector: str) -> None:
        """Before a read or write of `sector`: what its fault, if any, does first."""
        fault = self.faults.get(sector)
        if fault is None:
            return
        if fault.kind == "down":
            raise SectorDown(f"RABT_FAULTS: the {sector} sector is switched down")
        if fault.kind == "error":
            raise FaultError(f"RABT_FAULTS: the {sector} sector is switched to fail")
        await asyncio.sleep(fault.seconds)

    def timeout(self) -> asyncio.Timeout:
        """The budget of one sector's reads in a request (none without one), within what is left
        of the request's part deadline."""
        return asyncio.timeout(within(self.budget))

    async def dispose(self) -> None:
        for db in self.databases()[1:]:
            await db.dispose()


def sector_urls(environ: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """`RABT_<SECTOR>_DATABASE_URL` for each sector that has one (e.g. RABT_TRAFFIC_DATABASE_URL)."""
    found = {}
    for name in names:
        url = environ.get(f"RABT_{name.upper()}_DATABASE_URL", "").strip()
        if url:
            found[name] = url
    return found


class SectorRowSource(RowSource):
    """The compiled path's reads across the sectors' databases: each database's batches on its own
    session, each sector's fault applied and its budget kept. An outage raises (the compiled path
    then steps aside and the general path says which sector is unavailable)."""

    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        super().__init__(cast(Any, stores.hub))

    @property
    def statements(self) -> int:
        """The statements every database's row source sent (the bench counts the compiled path's)."""
        return sum(db.rows.statements for db in self.stores.databases())

    @statements.setter
    def statements(self, _value: int) -> None:
        return None  # counted by each database's own row source

    def session(self) -> ReadSession:
        stores = self.stores
        if not stores.faults and not stores.routed:
            return stores.hub.rows.session()  # everything in the hub's database, nothing switched
        return _SectorReadSession(stores)


class _SectorReadSession(ReadSession):
    __slots__ = ("_sessions", "_stores")

    def __init__(self, stores: Stores) -> None:
        self._stores = stores
        self._sessions: dict[int, ReadSession] = {}

    async def fetch(self, batches: Sequence[KeyBatch]) -> list[Sequence[Row]]:
        stores = self._stores
        groups: dict[int, tuple[Database, set[str], list[int]]] = {}
        for index, (loads, _) in enumerate(batches):
            sector = stores.sector_of(loads)
            db = stores.database(sector)
            group = groups.setdefault(id(db), (db, set(), []))
            group[1].add(sector)
            group[2].append(index)
        found: list[Sequence[Row]] = [() for _ in batches]
        for key, (db, sectors, indexes) in groups.items():
            session = self._sessions.get(key)
            if session is None:
                session = self._sessions[key] = db.rows.session()
            async with stores.timeout():
                for sector in sectors & stores.faults.keys():
                    await stores.enter(sector)
                rows = await session.fetch([batches[index] for index in indexes])
            for index, one in zip(indexes, rows, strict=True):
                found[index] = one
        return found

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
