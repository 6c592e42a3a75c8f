"""`/livez` and `/readyz`: whether the process answers, and whether it can do its work now.

`/livez` asks nothing of anyone: a process that answers it is alive, and restarting it would not
help a database that is down. `/readyz` asks each part a request needs, each within a short
budget, and says per component what it found: every database (the hub's and each sector's own),
Redis when configured, and the audit trail's ability to append (its table writable and not held
by a lock: a request that reads personal data cannot be answered without its audit record). 503
when any of them fails, or while the hub shuts down, so a load balancer sends requests elsewhere.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.audit.records import AuditRecord
from hub.data.db import Database
from hub.data.sectors import Stores

CHECK_BUDGET = 2.0  # seconds each component may take to answer before it counts as down

Check = Callable[[], Awaitable[None]]


async def _database(db: Database) -> None:
    async with db.read_engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _audit_appends(db: Database) -> None:
    """A write lock on the audit table, taken without waiting and let go at once (nothing written):
    fails when the table is locked by someone else or the hub's role may not insert into it."""
    table = AuditRecord.__tablename__
    if db.is_sqlite:
        # SQLite has one write lock per database: BEGIN IMMEDIATE takes it, or fails busy.
        # On a connection of its own, so no pooled connection's busy timeout is touched.
        await asyncio.to_thread(_sqlite_write_lock, str(db.url.database))
        return
    async with db.engine.connect() as connection, connection.begin() as transaction:
        await connection.execute(text(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE NOWAIT"))
        await transaction.rollback()


def _sqlite_write_lock(path: str) -> None:
    connection = sqlite3.connect(path, timeout=1.0, isolation_level=None)  # a write under way passes
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def _redis(url: str) -> Check:
    async def ping() -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(url, socket_connect_timeout=CHECK_BUDGET, socket_timeout=CHECK_BUDGET)
        try:
            await client.ping()
        finally:
            await client.aclose()

    return ping


def components(stores: Stores, redis_url: str | None) -> dict[str, Check]:
    """What `/readyz` asks, by the name it reports."""
    checks: dict[str, Check] = {"database": lambda: _database(stores.hub)}
    for sector, db in sorted(stores.own_databases().items()):
        checks[f"database:{sector}"] = lambda db=db: _database(db)  # type: ignore[misc]
    if redis_url:
        checks["redis"] = _redis(redis_url)
    checks["audit"] = lambda: _audit_appends(stores.hub)
    return checks


async def _one(check: Check) -> dict[str, Any]:
    started = time.monotonic()
    try:
        async with asyncio.timeout(CHECK_BUDGET):
            await check()
    except Exception as error:
        reason = "timed out" if isinstance(error, TimeoutError) else f"{type(error).__name__}: {error}"
        found: dict[str, Any] = {"status": "down", "error": reason.splitlines()[0][:200]}
    else:
        found = {"status": "ok"}
    found["ms"] = round((time.monotonic() - started) * 1000, 1)
    return found


async def readiness(checks: Mapping[str, Check], closing: bool) -> tuple[int, dict[str, Any]]:
    """The status code and body of `/readyz`: each component checked at once."""
    results = await asyncio.gather(*(_one(check) for check in checks.values()))
    found = dict(zip(checks, results, strict=True))
    ready = not closing and all(result["status"] == "ok" for result in results)
    status = "ready" if ready else ("shutting down" if closing else "not ready")
    return (200 if ready else 503), {"status": status, "components": found}


def endpoints(
    stores: Stores, redis_url: str | None, closing: Callable[[], bool]
) -> tuple[Callable[[Request], Awaitable[Response]], Callable[[Request], Awaitable[Response]]]:
    """The `/livez` and `/readyz` handlers."""
    checks = components(stores, redis_url)

    async def livez(_: Request) -> Response:
        return JSONResponse({"status": "live"})

    async def readyz(_: Request) -> Response:
        status, body = await readiness(checks, closing())
        return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})

    return livez, readyz
