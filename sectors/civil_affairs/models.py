"""Ahwal's tables: national ID cards, family registers, births, deaths and national addresses."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from sqlalchemy import ForeignKey, Integer, PrimaryKeyConstraint, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.contract import person_key, sector_metadata


class Base(DeclarativeBase):
    # Declarative types __table__ as any FROM clause; every class here maps a Table.
    __table__: ClassVar[Table]
    metadata = sector_metadata()


class IdCardRow(Base):
    """One row per card version; the card's number is the holder's national ID."""

    __tablename__ = "civil_affairs_id_cards"
    __table_args__ = (PrimaryKeyConstraint("person_id", "version"),)

    person_id: Mapped[str] = person_key(comment="the citizen who holds the card")
    version: Mapped[int] = mapped_column(Integer, comment="1 for the first card, then +1 per renewal or replacement")
    issued_on: Mapped[dt.date]
    expires_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10), comment="valid, expired, replaced or lost")


class FamilyRegisterRow(Base):
    __tablename__ = "civil_affairs_family_registers"

    number: Mapped[str] = mapped_column(String(10), primary_key=True, comment="opaque digits")
    head_id: Mapped[str] = person_key(comment="the head of the family (the husband and father)")
    issued_on: Mapped[dt.date]


class FamilyMemberRow(Base):
    # Keyed by the member alone: a person belongs to one register at most, which is what
    # `familyRegister` on a person answers.
    __tablename__ = "civil_affairs_family_members"
    person_id: Mapped[str] = person_key(primary_key=True, comment="the member")
    register_number: Mapped[str] = mapped_column(
        String(10), ForeignKey("civil_affairs_family_registers.number"), index=True
    )
    relation: Mapped[str] = mapped_column(String(10), comment="head, wife, son or daughter")
    added_on: Mapped[dt.date] = mapped_column(comment="the day the member was entered in the register")


class BirthRow(Base):
    __tablename__ = "civil_affairs_births"
    person_id: Mapped[str] = person_key(primary_key=True, comment="the person born")
    born_on: Mapped[dt.date]
    country: Mapped[str] = mapped_column(String(3), comment="ISO 3166-1 alpha-3 of the place of birth")
    city_ar: Mapped[str | None] = mapped_column(String(40), comment="null when a birth abroad names no city")
    city_en: Mapped[str | None] = mapped_column(String(40))
    father_id: Mapped[str | None] = person_key(nullable=True, comment="the father, when known to the registry")
    mother_id: Mapped[str | None] = person_key(nullable=True, comment="the mother, when known to the registry")


class DeathRow(Base):
    __tablename__ = "civil_affairs_deaths"
    person_id: Mapped[str] = person_key(primary_key=True, comment="the deceased")
    died_on: Mapped[dt.date]
    city_ar: Mapped[str] = mapped_column(String(40))
    city_en: Mapped[str] = mapped_column(String(40))


class NationalAddressRow(Base):
    """Saudi Post's national address of a person (address.gov.sa's format, docs/domain.md §1.4)."""

    __tablename__ = "civil_affairs_national_addresses"
    person_id: Mapped[str] = person_key(primary_key=True, comment="the person registered there")
    building_number: Mapped[str] = mapped_column(String(4), comment="4 digits")
    street_ar: Mapped[str] = mapped_column(String(60))
    street_en: Mapped[str] = mapped_column(String(60))
    district_ar: Mapped[str] = mapped_column(String(60))
    district_en: Mapped[str] = mapped_column(String(60))
    city_ar: Mapped[str] = mapped_column(String(40))
    city_en: Mapped[str] = mapped_column(String(40))
    postal_code: Mapped[str] = mapped_column(String(5), comment="5 digits; the first is the postal region")
    additional_number: Mapped[str] = mapped_column(String(4), comment="4 digits")
    short_address: Mapped[str] = mapped_column(String(8), comment="4 capital Latin letters then 4 digits")
    updated_on: Mapped[dt.date] = mapped_column(comment="the day the address was registered or last changed")
