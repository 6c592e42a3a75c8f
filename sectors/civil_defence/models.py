"""Civil defence's tables: incident reports ("Faz'a") and establishments' safety permits (Salamah)."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.contract import person_key, sector_metadata


class Base(DeclarativeBase):
    # Declarative types __table__ as any FROM clause; every class here maps a Table.
    __table__: ClassVar[Table]
    metadata = sector_metadata()


class IncidentReportRow(Base):
    __tablename__ = "civil_defence_incident_reports"

    reference: Mapped[str] = mapped_column(String(20), primary_key=True, comment="CD-YYYYMMDD-NNNNNNNN")
    person_id: Mapped[str] = person_key(comment="the person who reported the incident")
    kind: Mapped[str] = mapped_column(
        String(20), comment="fire, flood, rescue, hazardous_materials, gas_leak, electrical or other"
    )
    city: Mapped[str] = mapped_column(String(40))
    district: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(500), comment="the reporter's own words")
    reported_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), comment="open, dispatched or closed")


class SafetyPermitRow(Base):
    __tablename__ = "civil_defence_safety_permits"

    number: Mapped[str] = mapped_column(String(12), primary_key=True, comment="the Salamah licence number")
    owner_id: Mapped[str] = person_key(comment="the establishment's owner")
    establishment_name_ar: Mapped[str] = mapped_column(String(80))
    establishment_name_en: Mapped[str] = mapped_column(String(80))
    establishment_kind: Mapped[str] = mapped_column(
        String(12), comment="retail, warehouse, restaurant, workshop, office or hotel"
    )
    city: Mapped[str] = mapped_column(String(40), comment="where the establishment is")
    issued_on: Mapped[dt.date]
    expires_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), comment="valid, expired, suspended or pending (inspection)")
