"""Hajj (الحج): the permits that let a person perform Hajj in a season. A sector from outside
the Rabt repository, found through the `rabt.sectors` entry point of its pyproject.toml."""

from __future__ import annotations

from hub.contract import Sector
from rabt_hajj import seed
from rabt_hajj.models import Base
from rabt_hajj.person import HajjOfPerson

SECTOR = Sector(
    name="hajj",
    field_name="hajj",
    title_en="Hajj",
    title_ar="الحج",
    metadata=Base.metadata,
    person_type=HajjOfPerson,
    seed=seed.seed,
    migrations="rabt_hajj.migrations",
)
