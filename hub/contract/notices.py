"""What a sector tells the hub so that people hear of what happens to them.

- `SectorContext.notify(...)` inside a mutation's transaction: a notice kept with the write (or not
  at all, when it rolls back) and pushed to the person once it committed.
- `Expiry` in the manifest: a document the hub's daily job (`python -m hub notify-expiries`)
  reminds its holder of, 30, 7 and 1 days before it expires.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table


class NoticeKind(enum.StrEnum):
    """What a notice is about."""

    DOCUMENT_EXPIRING = "document_expiring"
    VIOLATION = "violation"
    SERVICE_COMPLETED = "service_completed"
    ABSCONDING_REPORT = "absconding_report"


REMIND_DAYS = (30, 7, 1)
"""Days before a document's expiry on which its holder is reminded."""


@dataclass(frozen=True)
class Expiry:
    """A kind of document that expires: rows of `table` whose `expires_on` column is the expiry
    date, `person` the holder's ID and `number` what the holder knows the document by; `where`
    keeps the rows that still count (say, not cancelled)."""

    document_en: str
    document_ar: str
    table: Table
    person: str = "person_id"
    number: str = "number"
    expires_on: str = "expires_on"
    where: ColumnElement[bool] | None = None

    def column(self, name: str) -> Any:
        return self.table.c[name]
