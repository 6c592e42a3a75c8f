"""The relay of sectors apart: each write's outbox row (hub/audit/relay.py) carried to the hub's
database after the sector's commit, its audit record appended to the chain and its notices kept
in the inbox in one transaction there, then the row marked relayed.

A mutation relays its own row before it answers. `SectorRelay` relays what no request did: at
start, before the first request, every row left unrelayed (a process killed between a sector's
commit and the relay), and then, every few seconds, the rows older than a few seconds (a request
that died or lost its connection to the hub's database on the way)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from hub.audit.relay import append_relayed, mark_relayed, unrelayed
from hub.data.db import Database
from hub.notifications.bus import Bus, publish_quietly
from hub.notifications.notices import NewNotice, Notice, keep

log = logging.getLogger("rabt.audit")

EVERY = 2.0  # seconds between rounds of the background relay
GRACE = 5.0  # seconds a row is left to the request that wrote it before a round relays it
ATTEMPTS = 3  # a collision means another relay of the row committed first: the next attempt finds it


def notices_text(notices: Sequence[NewNotice]) -> str | None:
    """Notices as the outbox row carries them."""
    return orjson.dumps([notice.__dict__ for notice in notices]).decode() if notices else None


async def relay(hub: Database, sector_db: Database, row: Mapping[str, Any]) -> list[Notice]:
    """Appends the row's record (once, however often it is relayed) and keeps its notices in the
    hub's database, then marks the row; returns the notices this call kept (to publish)."""
    for attempt in range(ATTEMPTS):
        try:
            async with hub.transaction() as session:
                audit_id, appended = await append_relayed(session, row)
                kept: list[Notice] = []
                if appended and row["notices"]:
                    found = [NewNotice(**values) for values in orjson.loads(row["notices"])]
                    kept = await keep(session, found, dt.datetime.now(dt.UTC))
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        await mark_relayed(sector_db, row["id"], audit_id)
        return kept
    raise AssertionError("unreachable")


async def relay_before_answer(
    hub: Database, sector_db: Database, row: Mapping[str, Any], request_id: str
) -> list[Notice]:
    """`relay` for the mutation that wrote the row. Its write and record are committed: when the
    hub's database cannot take the record now, the row waits for the next round (`SectorRelay`)
    and the answer still says what was written, rather than a failure that was not one."""
    try:
        return await relay(hub, sector_db, row)
    except Exception:
        log.warning("request %s: its write's record is left to the next round", request_id, exc_info=True)
        return []


async def relay_waiting(hub: Database, sector_db: Database, *, older_than: float = 0.0, bus: Bus | None = None) -> int:
    """Relays every row of `sector_db` not relayed yet (written at least `older_than` seconds ago),
    pushing the notices it keeps to `bus`'s subscribers; how many rows it relayed."""
    total = 0
    while True:
        rows = await unrelayed(sector_db, older_than=older_than)
        for row in rows:
            kept = await relay(hub, sector_db, row)
            if bus is not None:
                await publish_quietly(bus, kept)  # late, but the person still hears of it
        total += len(rows)
        if not rows:
            return total


class SectorRelay:
    """Relays the outbox rows of every sector database apart that no request relayed."""

    def __init__(
        self, hub: Database, databases: Mapping[str, Database], *, bus: Bus | None = None, every: float = EVERY
    ) -> None:
        self._hub = hub
        self._bus = bus
        self._databases = list({id(db): db for db in databases.values()}.values())
        self._every = every
        self._task: asyncio.Task[None] | None = None

    async def catch_up(self, *, older_than: float = 0.0) -> int:
        """Relays everything waiting now; how many rows it relayed. A database that cannot be
        read or written now keeps its rows for the next round: a sector apart that is down
        stops neither the hub's start nor the other sectors' relay."""
        total = 0
        for db in self._databases:
            try:
                total += await relay_waiting(self._hub, db, older_than=older_than, bus=self._bus)
            except Exception:
                log.warning("audit: relaying %s's outbox failed", db.url.database, exc_info=True)
        return total

    def start(self) -> None:
        if self._task is None and self._databases:
            self._task = asyncio.create_task(self._run(), name="audit sector relay")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            await self.catch_up(older_than=GRACE)

    async def aclose(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
