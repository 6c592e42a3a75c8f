"""The identity registry's table: one row per person, keyed by their 10-digit ID."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import CheckConstraint, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.contract import sector_metadata


class IdentityBase(DeclarativeBase):
    # Declarative types __table__ as any FROM clause; every class here maps a Table.
    __table__: ClassVar[Table]
    metadata = sector_metadata()


class PersonRow(IdentityBase):
    __tablename__ = "identity_people"
    __table_args__ = (
        CheckConstraint("kind IN ('citizen', 'resident', 'visitor')", name="kind"),
        CheckConstraint("sex IN ('male', 'female')", name="sex"),
    )

    id: Mapped[str] = mapped_column(String(10), primary_key=True, comment="national ID, iqama or border number")
    kind: Mapped[str] = mapped_column(String(8))
    name_ar: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    sex: Mapped[str] = mapped_column(String(6))
    birth_on: Mapped[dt.date]
    nationality: Mapped[str] = mapped_column(String(3), comment="ISO 3166-1 alpha-3")
    mobile: Mapped[str | None] = mapped_column(String(13), comment="+9665XXXXXXXX")
