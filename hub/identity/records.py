"""What the identity loader hands to Person's fields: a light record, not an ORM object."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    id: str
    kind: str
    name_ar: str
    name_en: str
    sex: str
    birth_on: dt.date
    nationality: str
    mobile: str | None
