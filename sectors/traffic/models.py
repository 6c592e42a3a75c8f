"""Muroor's tables: driving licences, vehicles, violations and accident reports."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import Index, Integer, String, Table, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.contract import person_key, sector_metadata


class Base(DeclarativeBase):
    # Declarative types __table__ as any FROM clause; every class here maps a Table.
    __table__: ClassVar[Table]
    metadata = sector_metadata()


class DrivingLicenceRow(Base):
    __tablename__ = "traffic_driving_licences"

    number: Mapped[str] = mapped_column(String(10), primary_key=True, comment="opaque digits")
    person_id: Mapped[str] = person_key(comment="the holder")
    licence_class: Mapped[str] = mapped_column(String(12), comment="private, public, motorcycle or heavy")
    issued_on: Mapped[dt.date]
    expires_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), comment="valid, expired or suspended")


class VehicleRow(Base):
    __tablename__ = "traffic_vehicles"
    # One plate is on one vehicle at a time; the kind is part of the plate (its colour).
    __table_args__ = (UniqueConstraint("plate_letters", "plate_digits", "plate_kind"),)

    sequence_number: Mapped[str] = mapped_column(String(9), primary_key=True, comment="the istimara's sequence number")
    owner_id: Mapped[str] = person_key(comment="the registered owner")
    plate_letters: Mapped[str] = mapped_column(
        String(3), comment="three Latin plate letters, left to right; the Arabic ones are derived from them"
    )
    plate_digits: Mapped[str] = mapped_column(String(4), comment="one to four digits, as printed")
    plate_kind: Mapped[str] = mapped_column(
        String(16), comment="private, taxi, public_transport, commercial or diplomatic"
    )
    make: Mapped[str] = mapped_column(String(30))
    model: Mapped[str] = mapped_column(String(30))
    model_year: Mapped[int] = mapped_column(Integer)
    registration_expires_on: Mapped[dt.date] = mapped_column(comment="the istimara's expiry")
    insurance_status: Mapped[str] = mapped_column(String(10), comment="insured, uninsured or expired")


class ViolationRow(Base):
    __tablename__ = "traffic_violations"

    number: Mapped[str] = mapped_column(String(10), primary_key=True, comment="opaque digits")
    person_id: Mapped[str] = person_key(comment="the violator")
    kind: Mapped[str] = mapped_column(
        String(24),
        comment=(
            "speeding, red_light, parking, mobile_use, seatbelt, expired_registration, no_insurance, "
            "wrong_way or reckless_driving"
        ),
    )
    city_ar: Mapped[str] = mapped_column(String(30))
    city_en: Mapped[str] = mapped_column(String(30))
    committed_on: Mapped[dt.date]
    fine_sar: Mapped[int] = mapped_column(Integer, comment="whole riyals")
    due_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), comment="unpaid, paid or objected")
    objected_on: Mapped[dt.date | None]
    objection_reason: Mapped[str | None] = mapped_column(String(500))
    vehicle_sequence_number: Mapped[str | None] = mapped_column(
        String(9), index=True, comment="the vehicle it was recorded against, when it was a vehicle's"
    )


class AccidentReportRow(Base):
    __tablename__ = "traffic_accident_reports"

    report_number: Mapped[str] = mapped_column(String(16), primary_key=True)
    person_id: Mapped[str] = person_key(comment="the driver the report concerns")
    occurred_on: Mapped[dt.date]
    city_ar: Mapped[str] = mapped_column(String(30))
    city_en: Mapped[str] = mapped_column(String(30))
    handled_by: Mapped[str] = mapped_column(
        String(8), comment="najm (insured, no injuries) or muroor (injuries, fire or uninsured)"
    )
    status: Mapped[str] = mapped_column(String(12), comment="open, under_review or closed")
    fault_percent: Mapped[int | None] = mapped_column(Integer, comment="0, 25, 50, 75 or 100 once decided")
    closed_on: Mapped[dt.date | None]


class VehicleTransferRow(Base):
    """A sale of a vehicle: offered by its owner to a buyer, done when the buyer accepts."""

    __tablename__ = "traffic_vehicle_transfers"
    # One pending offer per vehicle: of two concurrent offers, one fails.
    __table_args__ = (
        Index(
            "uq_traffic_vehicle_transfers_pending",
            "sequence_number",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    reference: Mapped[str] = mapped_column(String(12), primary_key=True, comment="VT then 10 digits")
    sequence_number: Mapped[str] = mapped_column(String(9), comment="the vehicle")
    seller_id: Mapped[str] = person_key(comment="the owner who offered it")
    buyer_id: Mapped[str] = person_key(comment="the person it is offered to")
    offered_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), comment="pending or completed")
    completed_on: Mapped[dt.date | None]
