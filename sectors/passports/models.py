"""Jawazat's tables: passports, iqamas, visas, absconding (huroob) reports, residents' medical
insurance and transfers of sponsorship."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import Index, Integer, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.contract import person_key, sector_metadata


class Base(DeclarativeBase):
    # Declarative types __table__ as any FROM clause; every class here maps a Table.
    __table__: ClassVar[Table]
    metadata = sector_metadata()


class PassportRow(Base):
    __tablename__ = "passports_passports"

    number: Mapped[str] = mapped_column(String(12), primary_key=True)
    person_id: Mapped[str] = person_key()
    issuing_country: Mapped[str] = mapped_column(String(3), comment="ISO 3166-1 alpha-3")
    issued_on: Mapped[dt.date]
    expires_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), comment="valid, expired, cancelled or lost")


class IqamaRow(Base):
    __tablename__ = "passports_iqamas"

    number: Mapped[str] = mapped_column(String(10), primary_key=True, comment="the resident's iqama number")
    person_id: Mapped[str] = person_key()
    sponsor_id: Mapped[str] = person_key(comment="the sponsor's ID (employer or head of family)")
    sponsorship: Mapped[str] = mapped_column(String(10), comment="work or family")
    profession_ar: Mapped[str] = mapped_column(String(60))
    profession_en: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[dt.date]
    expires_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), comment="valid, expired or cancelled")


class VisaRow(Base):
    __tablename__ = "passports_visas"
    __table_args__ = (Index("ix_passports_visas_sponsor_id", "sponsor_id"),)

    number: Mapped[str] = mapped_column(String(12), primary_key=True, comment="opaque digits")
    person_id: Mapped[str] = person_key()
    sponsor_id: Mapped[str | None] = mapped_column(String(10), comment="sponsor or host, if any")
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(10))
    issued_on: Mapped[dt.date]
    valid_from: Mapped[dt.date]
    valid_until: Mapped[dt.date]
    allowed_days: Mapped[int] = mapped_column(Integer, comment="days the holder may stay abroad or in the Kingdom")


class AbscondingReportRow(Base):
    __tablename__ = "passports_absconding_reports"

    reference: Mapped[str] = mapped_column(String(16), primary_key=True)
    person_id: Mapped[str] = person_key(comment="the worker reported absent")
    filed_by_id: Mapped[str] = person_key(comment="the sponsor who filed it")
    filed_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), comment="open, cancelled or closed")
    cancelled_on: Mapped[dt.date | None]


class MedicalInsuranceRow(Base):
    """A resident's health insurance policy as the Council of Health Insurance reports it to Jawazat:
    an iqama is issued or renewed only while one is in force."""

    __tablename__ = "passports_medical_insurance"

    policy_number: Mapped[str] = mapped_column(String(16), primary_key=True)
    person_id: Mapped[str] = person_key(comment="the insured resident")
    insurer_ar: Mapped[str] = mapped_column(String(60))
    insurer_en: Mapped[str] = mapped_column(String(60))
    valid_from: Mapped[dt.date]
    valid_until: Mapped[dt.date]


class TransferRow(Base):
    """A transfer of a worker's sponsorship (نقل خدمات): done once the worker, the current sponsor
    and the new sponsor have each consented; the iqama then names the new sponsor."""

    __tablename__ = "passports_transfers"
    __table_args__ = (Index("ix_passports_transfers_to_sponsor_id", "to_sponsor_id"),)

    reference: Mapped[str] = mapped_column(String(16), primary_key=True)
    person_id: Mapped[str] = person_key(comment="the worker whose sponsorship moves")
    from_sponsor_id: Mapped[str] = mapped_column(String(10), comment="the sponsor when it was requested")
    to_sponsor_id: Mapped[str] = mapped_column(String(10), comment="the new sponsor")
    requested_on: Mapped[dt.date]
    worker_consented_on: Mapped[dt.date | None]
    sponsor_consented_on: Mapped[dt.date | None]
    new_sponsor_consented_on: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(10), comment="pending or done")
    done_on: Mapped[dt.date | None]


class EstablishmentRow(Base):
    """An establishment (منشأة) in Jawazat's register: a company that sponsors workers under its
    unified number (the iqamas name it as sponsor) and acts through its authorised users (Absher
    Business). Passports keeps it: its one use here is sponsorship, which passports owns."""

    __tablename__ = "passports_establishments"

    unified_number: Mapped[str] = mapped_column(
        String(10), primary_key=True, comment="the unified number (الرقم الموحد): 7, eight digits, a check digit"
    )
    name_ar: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))


class EstablishmentUserRow(Base):
    """A person authorised to act for an establishment: while `status` is active, from `granted_on`.
    A revoked authorisation stays on record (who acted for the establishment, until when)."""

    __tablename__ = "passports_establishment_users"
    __table_args__ = (Index("ix_passports_establishment_users_person_id", "person_id"),)

    establishment_number: Mapped[str] = mapped_column(String(10), primary_key=True, comment="the unified number")
    person_id: Mapped[str] = person_key(primary_key=True, comment="the authorised user's ID")
    status: Mapped[str] = mapped_column(String(10), comment="active or revoked")
    granted_on: Mapped[dt.date]
    revoked_on: Mapped[dt.date | None]
