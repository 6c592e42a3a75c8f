"""A person a sector enters in the identity registry: civil affairs registering a newborn citizen."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class Kind(enum.StrEnum):
    """What a person is to the registry; their ID's first digit follows from it (1, 2 or 3)."""

    CITIZEN = "citizen"
    RESIDENT = "resident"
    VISITOR = "visitor"


FIRST_DIGIT = {Kind.CITIZEN: "1", Kind.RESIDENT: "2", Kind.VISITOR: "3"}


@dataclass(frozen=True)
class NewPerson:
    """Who is entered: the registry draws their ID (`SectorContext.register_person`)."""

    kind: Kind
    name_ar: str
    name_en: str
    sex: str
    birth_on: dt.date
    nationality: str
