"""Passports (Jawazat, الجوازات): passports, iqamas, visas, absconding reports, sponsorship."""

from __future__ import annotations

from hub.contract import Sector
from sectors.passports import mutations, seed
from sectors.passports.models import Base
from sectors.passports.person import PassportsOfPerson
from sectors.passports.relations import SPONSOR

SECTOR = Sector(
    name="passports",
    field_name="passports",
    title_en="Passports",
    title_ar="الجوازات",
    metadata=Base.metadata,
    person_type=PassportsOfPerson,
    seed=seed.seed,
    mutation_fields=mutations.fields,
    relations=(SPONSOR,),
)
