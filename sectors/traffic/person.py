"""The traffic namespace on Person: `person { traffic { … } }`."""

from __future__ import annotations

import strawberry

from hub.contract import loaded, source_field
from sectors.traffic import loaders


@strawberry.type(
    description="Traffic (Muroor, المرور): one person's driving licence, vehicles, violations and accident reports."
)
class TrafficOfPerson:
    person_id: strawberry.Private[str]

    source = source_field("traffic")

    driving_licence = loaded(
        loaders.driving_licence_by_person,
        description="This person's driving licence (the latest issued), or null if they hold none.",
    )
    vehicles = loaded(
        loaders.vehicles_by_owner,
        description="The vehicles registered to this person, the newest model year first, then by sequence number.",
    )
    violations = loaded(
        loaders.violations_by_person,
        description="Every traffic violation of this person, the latest committed first, then by number.",
    )
    accident_reports = loaded(
        loaders.accident_reports_by_person,
        description="Accident reports concerning this person as a driver, the latest accident first, then by number.",
    )
    vehicle_transfers_offered = loaded(
        loaders.transfers_by_seller,
        description="Sales of vehicles this person offered, the latest offered first, then by reference.",
    )
    vehicle_transfers_received = loaded(
        loaders.transfers_by_buyer,
        description=(
            "Sales of vehicles offered to this person (pending ones await their acceptance), the latest offered "
            "first, then by reference."
        ),
    )
