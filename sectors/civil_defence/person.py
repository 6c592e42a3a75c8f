"""The civil defence namespace on Person: `person { civilDefence { … } }`."""

from __future__ import annotations

import strawberry

from hub.contract import Info
from sectors.civil_defence.loaders import CivilDefenceLoaders
from sectors.civil_defence.types import IncidentReport, SafetyPermit


@strawberry.type(
    description=(
        "Civil Defence (الدفاع المدني): the incidents one person reported and their establishments' safety permits."
    )
)
class CivilDefenceOfPerson:
    person_id: strawberry.Private[str]

    @strawberry.field(
        description="Incidents this person reported, the latest reported first (same day: by reference, descending)."
    )
    async def incident_reports(self, info: Info) -> list[IncidentReport]:
        return await info.context.loaders(CivilDefenceLoaders).incident_reports_by_reporter.load(self.person_id)

    @strawberry.field(
        description=(
            "Safety permits (Salamah licences) of the establishments this person owns, "
            "the latest expiry first (same expiry: by permit number)."
        )
    )
    async def safety_permits(self, info: Info) -> list[SafetyPermit]:
        return await info.context.loaders(CivilDefenceLoaders).safety_permits_by_owner.load(self.person_id)
