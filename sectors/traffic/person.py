"""The traffic namespace on Person: `person { traffic { … } }`."""

from __future__ import annotations

import strawberry

from hub.contract import Info
from sectors.traffic.loaders import TrafficLoaders
from sectors.traffic.types import AccidentReport, DrivingLicence, Vehicle, Violation


@strawberry.type(
    description="Traffic (Muroor, المرور): one person's driving licence, vehicles, violations and accident reports."
)
class TrafficOfPerson:
    person_id: strawberry.Private[str]

    @strawberry.field(description="This person's driving licence (the latest issued), or null if they hold none.")
    async def driving_licence(self, info: Info) -> DrivingLicence | None:
        return await info.context.loaders(TrafficLoaders).driving_licence_by_person.load(self.person_id)

    @strawberry.field(
        description="The vehicles registered to this person, the newest model year first, then by sequence number."
    )
    async def vehicles(self, info: Info) -> list[Vehicle]:
        return await info.context.loaders(TrafficLoaders).vehicles_by_owner.load(self.person_id)

    @strawberry.field(description="Every traffic violation of this person, the latest committed first, then by number.")
    async def violations(self, info: Info) -> list[Violation]:
        return await info.context.loaders(TrafficLoaders).violations_by_person.load(self.person_id)

    @strawberry.field(
        description="Accident reports concerning this person as a driver, the latest accident first, then by number."
    )
    async def accident_reports(self, info: Info) -> list[AccidentReport]:
        return await info.context.loaders(TrafficLoaders).accident_reports_by_person.load(self.person_id)
