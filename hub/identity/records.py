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


@dataclass(frozen=True, slots=True)
class KnownId:
    """Only that the registry knows an ID: what a sector may learn of identity (its database role
    may read this one column of the registry)."""

    id: str
