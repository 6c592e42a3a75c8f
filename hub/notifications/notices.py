"""A notice as it is kept and pushed, and how it is written to and read from the inbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from hub.data.db import Database, stored_utc
from hub.notifications.models import NotificationRow

INBOX = NotificationRow.__table__
_COLUMNS = ("person_id", "sector", "kind", "message_en", "message_ar", "created_at")


@dataclass(frozen=True)
class NewNotice:
    """A notice to keep. `once`: a key no other notice may have (a second one is not kept)."""

    person_id: str
    sector: str
    kind: str
    message_en: str
    message_ar: str
    once: str | None = None


@dataclass(frozen=True)
class Notice:
    """A notice kept for a person: what their inbox lists and their subscriptions receive."""

    id: int
    person_id: str
    sector: str
    kind: str
    message_en: str
    message_ar: str
    created_at: dt.datetime

    def to_json(self) -> bytes:
        return orjson.dumps({**self.__dict__, "created_at": self.created_at.isoformat()})

    @classmethod
    def from_json(cls, data: bytes | str) -> Notice:
        values: dict[str, Any] = orjson.loads(data)
        return cls(**{**values, "created_at": dt.datetime.fromisoformat(values["created_at"])})


def _values(notice: NewNotice, now: dt.datetime) -> dict[str, Any]:
    return {
        "person_id": notice.person_id,
        "sector": notice.sector,
        "kind": notice.kind,
        "message_en": notice.message_en,
        "message_ar": notice.message_ar,
        "created_at": now,
        "once": notice.once,
    }


async def keep(session: AsyncSession, notices: Sequence[NewNotice], now: dt.datetime) -> list[Notice]:
    """Keeps `notices` in the session's transaction (the write that caused them), in order; a notice
    whose `once` key is already kept is skipped. Returns those kept, with their ids."""
    kept: list[Notice] = []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for notice in notices:
        statement = (
            dialect.insert(INBOX).values(_values(notice, now)).on_conflict_do_nothing().returning(INBOX.c.id)
            if notice.once is not None
            else insert(INBOX).values(_values(notice, now)).returning(INBOX.c.id)
        )
        found = (await session.execute(statement)).scalar_one_or_none()
        if found is not None:
            kept.append(_notice(found, notice, now))
    return kept


def _notice(notice_id: int, notice: NewNotice, now: dt.datetime) -> Notice:
    return Notice(
        id=notice_id,
        person_id=notice.person_id,
        sector=notice.sector,
        kind=notice.kind,
        message_en=notice.message_en,
        message_ar=notice.message_ar,
        created_at=now,
    )


async def newest_first(db: Database, person_id: str, limit: int, before: int | None) -> list[Notice]:
    """Up to `limit` of the person's notices, newest first, those older than notice `before` only."""
    statement = select(INBOX.c.id, *(INBOX.c[name] for name in _COLUMNS)).where(INBOX.c.person_id == person_id)
    if before is not None:
        statement = statement.where(INBOX.c.id < before)
    rows = await db.fetch(statement.order_by(INBOX.c.id.desc()).limit(limit))
    return [
        Notice(
            id=row.id,
            person_id=row.person_id,
            sector=row.sector,
            kind=row.kind,
            message_en=row.message_en,
            message_ar=row.message_ar,
            created_at=stored_utc(row.created_at),
        )
        for row in rows
    ]
