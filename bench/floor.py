"""The floor R: a bare Starlette app that answers the headline query's data for the same IDs.

It sends the same six SELECTs the loaders send for `PersonStatus` (same columns, same
`WHERE key IN (…)`, same ORDER BY; `tests/hub/test_bench.py` compares the statement text with what
the hub sends), shapes the rows into the same JSON the hub returns under `data` (enum names, dates
in both calendars) and serialises it with orjson. No GraphQL, no access checks, no audit write.

Two ways to reach the database, chosen by RABT_BENCH_FLOOR:
- `driver`: asyncpg on PostgreSQL (one pooled connection per request, the six statements in turn);
  the stdlib sqlite3 module on SQLite, called directly on the event loop. A statement on an indexed
  local file takes tens of microseconds, less than one hop to a thread would cost, and the worker
  has one core to give either way; so a bare endpoint would do exactly this.
- `core`: the same statements as SQLAlchemy Core objects through `hub.data.db.Database.fetch` (the
  hub's own data layer: an AUTOCOMMIT connection per statement; aiosqlite on SQLite). The
  difference to `driver` is what the data layer itself costs.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, Table, select
from sqlalchemy.engine import Dialect, make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.contract.calendar import hijri_iso
from hub.data.asyncpg_pool import read_pool
from hub.data.db import Database
from hub.identity.models import PersonRow
from hub.registry import sector_named

Row = Sequence[Any]


@dataclass(frozen=True)
class Query:
    """One loader's statement: `SELECT key, columns… FROM table WHERE key IN (…) ORDER BY …`."""

    feeds: str
    table: Table
    key: str
    columns: tuple[str, ...]
    order_by: tuple[ColumnElement[Any], ...]

    def select(self) -> Select[Any]:
        return select(self.table.c[self.key], *(self.table.c[name] for name in self.columns)).order_by(*self.order_by)

    def where_in(self, ids: Sequence[str]) -> Select[Any]:
        return self.select().where(self.table.c[self.key].in_(list(ids)))

    @property
    def at(self) -> Mapping[str, int]:
        """Column name -> position in a row (position 0 is the key)."""
        return {name: index + 1 for index, name in enumerate(self.columns)}


@cache
def headline_queries() -> tuple[Query, ...]:
    """The statements the loaders send for PersonStatus, in the loaders' column order."""
    people = PersonRow.__table__
    passports = sector_named("passports").metadata.tables
    traffic = sector_named("traffic").metadata.tables
    civil_defence = sector_named("civil_defence").metadata.tables
    iqamas, visas = passports["passports_iqamas"], passports["passports_visas"]
    absconding = passports["passports_absconding_reports"]
    accidents = traffic["traffic_accident_reports"]
    incidents = civil_defence["civil_defence_incident_reports"]
    return (
        Query(
            "identity",
            people,
            "id",  # type: ignore[arg-type]
            ("id", "kind", "name_ar", "name_en", "sex", "birth_on", "nationality", "mobile"),
            (people.c.id,),
        ),
        Query(
            "iqama",
            iqamas,
            "person_id",
            (
                "number",
                "sponsorship",
                "profession_ar",
                "profession_en",
                "issued_on",
                "expires_on",
                "status",
                "sponsor_id",
            ),
            (iqamas.c.issued_on.desc(), iqamas.c.number),
        ),
        Query(
            "visas",
            visas,
            "person_id",
            ("number", "kind", "status", "issued_on", "valid_from", "valid_until", "allowed_days"),
            (visas.c.valid_from.desc(), visas.c.number),
        ),
        Query(
            "absconding",
            absconding,
            "person_id",
            ("reference", "status", "filed_on", "cancelled_on", "filed_by_id"),
            (absconding.c.filed_on.desc(), absconding.c.reference),
        ),
        Query(
            "accidents",
            accidents,
            "person_id",
            (
                "report_number",
                "status",
                "occurred_on",
                "city_ar",
                "city_en",
                "handled_by",
                "fault_percent",
                "closed_on",
            ),
            (accidents.c.occurred_on.desc(), accidents.c.report_number),
        ),
        Query(
            "incidents",
            incidents,
            "person_id",
            ("reference", "kind", "city", "district", "description", "reported_on", "status"),
            (incidents.c.reported_on.desc(), incidents.c.reference.desc()),
        ),
    )


def compiled_sql(query: Query, dialect: Dialect, count: int) -> str:
    """The SQL text SQLAlchemy sends for `count` keys (expanding IN rendered: `$1::VARCHAR, …` or `?, …`)."""
    statement = query.where_in([f"{index:010d}" for index in range(count)])
    return str(statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True}))


# ---- shaping rows into the hub's JSON -------------------------------------------------------------


def _day(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value  # sqlite3 returns ISO text


def _both(value: Any) -> dict[str, Any]:
    return {"gregorian": value, "hijri": hijri_iso(_day(value))}


def _enum(value: str) -> str:
    return value.upper()  # every enum of the selection is NAME = "name"


class Shaper:
    """Builds `person` objects of the PersonStatus selection from the six queries' rows."""

    def __init__(self, queries: Sequence[Query]) -> None:
        at = {query.feeds: query.at for query in queries}
        self.identity = at["identity"]
        self.iqama = at["iqama"]
        self.visas = at["visas"]
        self.absconding = at["absconding"]
        self.accidents = at["accidents"]
        self.incidents = at["incidents"]

    def person(self, pid: str, rows: Mapping[str, Mapping[str, list[Row]]]) -> dict[str, Any] | None:
        found = rows["identity"].get(pid)
        if not found:
            return None
        who, i = found[0], self.identity
        iqamas = rows["iqama"].get(pid)
        q, v, a, t, c = self.iqama, self.visas, self.absconding, self.accidents, self.incidents
        iqama = None
        if iqamas:
            row = iqamas[0]
            iqama = {
                "number": row[q["number"]],
                "status": _enum(row[q["status"]]),
                "expiresOn": _both(row[q["expires_on"]]),
            }
        return {
            "id": who[i["id"]],
            "nameEn": who[i["name_en"]],
            "nameAr": who[i["name_ar"]],
            "kind": _enum(who[i["kind"]]),
            "passports": {
                "iqama": iqama,
                "visas": [
                    {
                        "number": row[v["number"]],
                        "kind": _enum(row[v["kind"]]),
                        "status": _enum(row[v["status"]]),
                        "validFrom": _both(row[v["valid_from"]]),
                        "validUntil": _both(row[v["valid_until"]]),
                    }
                    for row in rows["visas"].get(pid, ())
                ],
                "abscondingReports": [
                    {
                        "reference": row[a["reference"]],
                        "status": _enum(row[a["status"]]),
                        "filedOn": {"gregorian": row[a["filed_on"]]},
                    }
                    for row in rows["absconding"].get(pid, ())
                ],
            },
            "traffic": {
                "accidentReports": [
                    {"reportNumber": row[t["report_number"]], "status": _enum(row[t["status"]])}
                    for row in rows["accidents"].get(pid, ())
                ]
            },
            "civilDefence": {
                "incidentReports": [
                    {"reference": row[c["reference"]], "kind": _enum(row[c["kind"]]), "status": _enum(row[c["status"]])}
                    for row in rows["incidents"].get(pid, ())
                ]
            },
        }


def _grouped(rows: Sequence[Row]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    return groups


# ---- three ways to send the statements ---------------------------------------------------------------


_TEXTS: dict[tuple[str, int], tuple[str, ...]] = {}


def _texts(queries: Sequence[Query], dialect: Dialect, count: int) -> tuple[str, ...]:
    """The six statement texts for `count` keys, compiled once per key count."""
    key = (dialect.name, count)
    found = _TEXTS.get(key)
    if found is None:
        found = _TEXTS[key] = tuple(compiled_sql(query, dialect, count) for query in queries)
    return found


class Fetcher:
    """Runs the six statements for a set of keys; counts every statement it sends."""

    statements = 0

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def fetch(self, ids: Sequence[str]) -> dict[str, dict[str, list[Row]]]:
        raise NotImplementedError


class AsyncpgFetcher(Fetcher):
    def __init__(self, url: str, queries: Sequence[Query]) -> None:
        from sqlalchemy.dialects.postgresql.asyncpg import dialect

        self.url = make_url(url)
        self.queries = queries
        self.dialect = dialect()
        self.pool: Any = None

    async def start(self) -> None:
        self.pool = await read_pool(self.url)  # the hub's own: a floor must not pay what the hub does not

    async def stop(self) -> None:
        await self.pool.close()

    def _sql(self, count: int) -> tuple[str, ...]:
        return _texts(self.queries, self.dialect, count)

    async def fetch(self, ids: Sequence[str]) -> dict[str, dict[str, list[Row]]]:
        found: dict[str, dict[str, list[Row]]] = {}
        async with self.pool.acquire() as connection:
            for query, sql in zip(self.queries, self._sql(len(ids)), strict=True):
                found[query.feeds] = _grouped(await connection.fetch(sql, *ids))
        Fetcher.statements += len(self.queries)
        return found


class Sqlite3Fetcher(Fetcher):
    def __init__(self, url: str, queries: Sequence[Query]) -> None:
        from sqlalchemy.dialects.sqlite.pysqlite import dialect

        self.path = make_url(url).database
        self.queries = queries
        self.dialect = dialect()
        self.connection: sqlite3.Connection | None = None

    async def start(self) -> None:
        self.connection = sqlite3.connect(self.path or ":memory:", check_same_thread=False, isolation_level=None)
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"):
            self.connection.execute(pragma)

    async def stop(self) -> None:
        if self.connection is not None:
            self.connection.close()

    def _sql(self, count: int) -> tuple[str, ...]:
        return _texts(self.queries, self.dialect, count)

    async def fetch(self, ids: Sequence[str]) -> dict[str, dict[str, list[Row]]]:
        assert self.connection is not None
        execute = self.connection.execute
        found = {
            query.feeds: _grouped(execute(sql, ids).fetchall())
            for query, sql in zip(self.queries, self._sql(len(ids)), strict=True)
        }
        Fetcher.statements += len(self.queries)
        return found


class CoreFetcher(Fetcher):
    def __init__(self, url: str, queries: Sequence[Query]) -> None:
        self.url = url
        self.queries = queries
        self.db: Database | None = None

    async def start(self) -> None:
        self.db = Database(self.url)

    async def stop(self) -> None:
        if self.db is not None:
            await self.db.dispose()

    async def fetch(self, ids: Sequence[str]) -> dict[str, dict[str, list[Row]]]:
        assert self.db is not None
        found = {query.feeds: _grouped(await self.db.fetch(query.where_in(ids))) for query in self.queries}
        Fetcher.statements += len(self.queries)
        return found


def fetcher_for(url: str, mode: str) -> Fetcher:
    queries = headline_queries()
    if mode == "core":
        return CoreFetcher(url, queries)
    if mode != "driver":
        raise ValueError(f"RABT_BENCH_FLOOR must be driver or core, not {mode!r}")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return Sqlite3Fetcher(url, queries)
    if backend == "postgresql":
        return AsyncpgFetcher(url, queries)
    raise ValueError(f"no floor driver for {backend}")


# ---- the app --------------------------------------------------------------------------------------


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def create_floor_app(url: str, mode: str) -> Starlette:
    fetcher = fetcher_for(url, mode)
    shaper = Shaper(headline_queries())

    async def person(request: Request) -> Response:
        pid = orjson.loads(await request.body())["id"]
        rows = await fetcher.fetch([pid])
        return _json({"data": {"person": shaper.person(pid, rows)}})

    async def people(request: Request) -> Response:
        ids: list[str] = orjson.loads(await request.body())["ids"]
        rows = await fetcher.fetch(list(dict.fromkeys(ids)))  # distinct keys, as a DataLoader batches them
        return _json({"data": {"people": [shaper.person(pid, rows) for pid in ids]}})

    async def statements(_: Request) -> Response:
        return _json({"statements": Fetcher.statements, "pid": os.getpid()})

    async def healthz(_: Request) -> Response:
        return _json({"status": "ok", "floor": mode})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await fetcher.start()
        yield
        await fetcher.stop()

    return Starlette(
        routes=[
            Route("/person", person, methods=["POST"]),
            Route("/people", people, methods=["POST"]),
            Route("/__bench/sql", statements, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def floor_app() -> Starlette:
    """uvicorn factory (`--factory bench.floor:floor_app`): RABT_DATABASE_URL, RABT_BENCH_FLOOR."""
    return create_floor_app(os.environ["RABT_DATABASE_URL"], os.environ.get("RABT_BENCH_FLOOR", "driver"))
