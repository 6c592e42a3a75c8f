"""Hajj's GraphQL types."""

from __future__ import annotations

import enum

import strawberry

from hub.contract import CalendarDate


@strawberry.enum(description="Where a Hajj permit stands.")
class HajjPermitStatus(enum.Enum):
    ISSUED = "issued"
    USED = "used"
    CANCELLED = "cancelled"


@strawberry.type(description="A permit to perform Hajj in one season (tasreeh al-hajj).")
class HajjPermit:
    number: str = strawberry.field(description="The permit number, e.g. HJ1446-00000042.")
    season: int = strawberry.field(description="The Hijri year of the Hajj season, e.g. 1446.")
    status: HajjPermitStatus = strawberry.field(description="Issued, used (the Hajj was performed) or cancelled.")
    issued_on: CalendarDate = strawberry.field(description="The day the permit was issued.")
