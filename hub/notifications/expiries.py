"""The daily job that reminds people of their documents before they expire
(`python -m hub notify-expiries`).

Each sector declares its expiring documents (`Sector.expiries`); for each, the job finds the ones
expiring exactly 30, 7 or 1 days from today (Riyadh) and keeps one notice for the holder. Run it
again the same day, or on another worker, and nothing more is kept: every notice carries a key
(`once`) of the document, its expiry date and the reminder, which the inbox holds at most once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hub.contract import REMIND_DAYS, Expiry, NoticeKind, Sector, arabic_digits
from hub.data.db import Database
from hub.notifications.bus import Bus, publish_quietly
from hub.notifications.notices import NewNotice, Notice, keep


@dataclass(frozen=True)
class Due:
    """One document expiring on a reminder day."""

    sector: str
    expiry: Expiry
    person_id: str
    number: str
    expires_on: dt.date
    days: int

    def notice(self) -> NewNotice:
        expiry, day = self.expiry, self.expires_on.isoformat()
        days_en = "tomorrow" if self.days == 1 else f"in {self.days} days"
        days_ar = "غداً" if self.days == 1 else f"بعد {arabic_digits(str(self.days))} يوماً"
        return NewNotice(
            person_id=self.person_id,
            sector=self.sector,
            kind=NoticeKind.DOCUMENT_EXPIRING.value,
            message_en=f"Your {expiry.document_en} {self.number} expires {days_en}, on {day}.",
            message_ar=f"تنتهي صلاحية {expiry.document_ar} رقم {self.number} {days_ar}، في {arabic_digits(day)}.",
            once=f"expiry:{self.sector}:{expiry.table.name}:{self.number}:{day}:{self.days}",
        )


async def due(
    db: Database, sectors: Sequence[Sector], today: dt.date, databases: Mapping[str, Database] | None = None
) -> list[Due]:
    """Every declared document expiring on a reminder day, in a stable order, each sector's read
    where its tables live (`databases`: the sectors that have a database of their own)."""
    days_by_date = {today + dt.timedelta(days=days): days for days in REMIND_DAYS}
    found: list[Due] = []
    for sector in sectors:
        for expiry in sector.expiries:
            expires_on = expiry.column(expiry.expires_on)
            statement = select(expiry.column(expiry.person), expiry.column(expiry.number), expires_on).where(
                expires_on.in_(list(days_by_date))
            )
            if expiry.where is not None:
                statement = statement.where(expiry.where)
            source = (databases or {}).get(sector.name, db)
            rows: Sequence[Any] = await source.fetch(statement.order_by(expires_on, expiry.column(expiry.number)))
            for person_id, number, on in rows:
                found.append(Due(sector.name, expiry, str(person_id), str(number), on, days_by_date[on]))
    return found


async def notify_expiries(
    db: Database,
    sectors: Sequence[Sector],
    bus: Bus,
    today: dt.date,
    databases: Mapping[str, Database] | None = None,
) -> list[Notice]:
    """Keeps the day's reminders not kept before (in one transaction, in the hub's inbox) and pushes
    them; returns them."""
    notices = [item.notice() for item in await due(db, sectors, today, databases)]
    async with db.transaction() as session:
        kept = await keep(session, notices, dt.datetime.now(dt.UTC))
    await publish_quietly(bus, kept)
    return kept
