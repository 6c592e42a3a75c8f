"""Civil affairs (Ahwal, الأحوال المدنية): ID cards, family registers, births, deaths, national addresses."""

from __future__ import annotations

from hub.contract import Expiry, Sector, Statistic
from sectors.civil_affairs import mutations, seed
from sectors.civil_affairs.models import Base, BirthRow, IdCardRow, NationalAddressRow
from sectors.civil_affairs.person import CivilAffairsOfPerson
from sectors.civil_affairs.relations import FAMILY_HEAD, GUARDIAN
from sectors.civil_affairs.services import REGISTER_NEWBORN, RENEW_ID_CARD, REPORT_LOST_ID_CARD

SECTOR = Sector(
    name="civil_affairs",
    field_name="civilAffairs",
    title_en="Civil affairs",
    title_ar="الأحوال المدنية",
    metadata=Base.metadata,
    person_type=CivilAffairsOfPerson,
    seed=seed.seed,
    migrations="sectors.civil_affairs.migrations",
    mutation_fields=mutations.fields,
    relations=(GUARDIAN, FAMILY_HEAD),
    statistics=(
        Statistic("id_cards", "National ID cards by status (every version counts).", IdCardRow.__table__, ("status",)),
        Statistic("births", "Birth records by country of birth.", BirthRow.__table__, ("country",)),
        Statistic("national_addresses", "National addresses by city.", NationalAddressRow.__table__, ("city_en",)),
    ),
    services=(RENEW_ID_CARD, REPORT_LOST_ID_CARD, REGISTER_NEWBORN),
    registers_people=True,  # a newborn citizen's national ID
    expiries=(
        Expiry(
            "national ID card",
            "بطاقة الهوية الوطنية",
            IdCardRow.__table__,
            number="person_id",
            where=IdCardRow.status == "valid",
        ),
    ),
)
