"""Hajj's one table: the permits issued per Hijri season."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.contract import person_key, sector_metadata


class Base(DeclarativeBase):
    metadata = sector_metadata()


class HajjPermitRow(Base):
    __tablename__ = "hajj_permits"

    number: Mapped[str] = mapped_column(String(14), primary_key=True, comment="HJ<season>-<serial>")
    person_id: Mapped[str] = person_key(comment="the pilgrim")
    season: Mapped[int] = mapped_column(comment="the Hijri year of the Hajj season, e.g. 1446")
    status: Mapped[str] = mapped_column(String(10), comment="issued, used or cancelled")
    issued_on: Mapped[dt.date]
