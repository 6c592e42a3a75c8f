"""The civil defence namespace on Person: `person { civilDefence { … } }`."""

from __future__ import annotations

import strawberry

from hub.contract import loaded, source_field
from sectors.civil_defence import loaders


@strawberry.type(
    description=(
        "Civil Defence (الدفاع المدني): the incidents one person reported and their establishments' safety permits."
    )
)
class CivilDefenceOfPerson:
    person_id: strawberry.Private[str]

    source = source_field("civil_defence")

    incident_reports = loaded(
        loaders.incident_reports_by_reporter,
        description="Incidents this person reported, the latest reported first (same day: by reference, descending).",
    )
    safety_permits = loaded(
        loaders.safety_permits_by_owner,
        description=(
            "Safety permits (Salamah licences) of the establishments this person owns, "
            "the latest expiry first (same expiry: by permit number)."
        ),
    )
