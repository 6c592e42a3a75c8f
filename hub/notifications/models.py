"""The hub's notifications table: one row per notice kept for a person, in Arabic and English."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.contract import sector_metadata

_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only


class NotificationsBase(DeclarativeBase):
    metadata = sector_metadata()
    # Declarative types __table__ as any FROM clause; every class here maps a Table.
    __table__: ClassVar[Table]


class NotificationRow(NotificationsBase):
    __tablename__ = "notifications_inbox"
    __table_args__ = (Index("ix_notifications_inbox_person_id_id", "person_id", "id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(10), comment="whom the notice is for")
    sector: Mapped[str] = mapped_column(String(32), comment="the sector whose record it is about")
    kind: Mapped[str] = mapped_column(
        String(32), comment="document_expiring, violation, service_completed, absconding_report, ..."
    )
    message_en: Mapped[str] = mapped_column(Text)
    message_ar: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    once: Mapped[str | None] = mapped_column(
        String(160), unique=True, comment="set for a notice that must be kept once only (an expiry notice per day)"
    )
