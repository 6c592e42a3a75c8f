"""The passports namespace on Person: `person { passports { … } }`."""

from __future__ import annotations

import strawberry

from hub.contract import Info, PersonRef, person_ref
from sectors.passports.loaders import PassportsLoaders
from sectors.passports.types import AbscondingReport, Iqama, Passport, Visa


@strawberry.type(description="Someone this person sponsors, and on what iqama.")
class SponsoredPerson:
    iqama: Iqama = strawberry.field(description="The sponsored resident's iqama.")
    person_id: strawberry.Private[str]

    @strawberry.field(description="The sponsored worker or dependant.")
    def person(self) -> PersonRef:
        return person_ref(self.person_id)  # type: ignore[return-value]


@strawberry.type(description="Passports (Jawazat, الجوازات): one person's passports, iqama, visas and reports.")
class PassportsOfPerson:
    person_id: strawberry.Private[str]

    @strawberry.field(description="Every passport of this person, the latest issued first.")
    async def passports(self, info: Info) -> list[Passport]:
        return await info.context.loaders(PassportsLoaders).passports_by_person.load(self.person_id)

    @strawberry.field(description="This person's current iqama (the latest issued), or null for a citizen or visitor.")
    async def iqama(self, info: Info) -> Iqama | None:
        return await info.context.loaders(PassportsLoaders).iqama_by_person.load(self.person_id)

    @strawberry.field(description="Every visa of this person, the latest valid-from date first.")
    async def visas(self, info: Info) -> list[Visa]:
        return await info.context.loaders(PassportsLoaders).visas_by_person.load(self.person_id)

    @strawberry.field(description="Absconding reports about this person, the latest filed first.")
    async def absconding_reports(self, info: Info) -> list[AbscondingReport]:
        return await info.context.loaders(PassportsLoaders).absconding_reports_by_person.load(self.person_id)

    @strawberry.field(description="The residents this person sponsors (workers and dependants), by iqama number.")
    async def sponsored(self, info: Info) -> list[SponsoredPerson]:
        iqamas = await info.context.loaders(PassportsLoaders).iqamas_by_sponsor.load(self.person_id)
        return [SponsoredPerson(iqama=iqama, person_id=iqama.number) for iqama in iqamas]
