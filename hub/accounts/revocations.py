"""Sessions ended in another hub process reach this one's token verifier.

A session ended here is turned away at once (`AccountServices.forget`). Other processes (the
hub's other workers, every subgraph: a sector's database role may read this table's columns)
learn of it from `accounts_revocations`: before accepting a token that belongs to a session, the endpoint asks
`due()`, and at most once per `interval` reads the rows it has not seen yet. Verifying a token
stays a dictionary lookup; the read is one indexed query a second per process, and only while
sessions' tokens come in.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import select

from hub.access.tokens import TokenVerifier
from hub.accounts.models import REVOCATIONS
from hub.data.db import Database, stored_utc

INTERVAL = 1.0
"""Seconds between two reads: how late another process may learn that a session ended."""


class RevocationFeed:
    def __init__(
        self,
        db: Database,
        verifier: TokenVerifier,
        interval: float = INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._verifier = verifier
        self._interval = interval
        self._monotonic = monotonic
        self._read_at: float | None = None
        self._seen = 0

    def due(self) -> bool:
        return self._read_at is None or self._monotonic() - self._read_at >= self._interval

    async def catch_up(self) -> None:
        """Hands the verifier every session ended since the last read (on the first, every one still
        able to matter)."""
        self._read_at = self._monotonic()
        rows = REVOCATIONS.c
        now = dt.datetime.now(dt.UTC)
        found = await self._db.fetch(
            select(rows.id, rows.session_id, rows.until).where(rows.id > self._seen, rows.until > now).order_by(rows.id)
        )
        for row in found:
            self._verifier.revoke(row.session_id, stored_utc(row.until).timestamp())
        if found:
            self._seen = found[-1].id
