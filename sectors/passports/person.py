"""The passports namespace on Person: `person { passports { … } }`."""

from __future__ import annotations

import strawberry

from hub.contract import Info, PersonRef, loaded, of_person, person_ref, resolver_field, source_field
from sectors.passports import loaders
from sectors.passports.establishments.authorisations import EstablishmentAuthorisation, establishments_of
from sectors.passports.types import Iqama


@of_person("passports")
@strawberry.type(description="Someone this person sponsors, and on what iqama.")
class SponsoredPerson:
    iqama: Iqama = strawberry.field(description="The sponsored resident's iqama.")
    person_id: strawberry.Private[str]

    @resolver_field(description="The sponsored worker or dependant.")
    def person(self) -> PersonRef | None:
        return person_ref(self.person_id)


@strawberry.type(description="Passports (Jawazat, الجوازات): one person's passports, iqama, visas and reports.")
class PassportsOfPerson:
    person_id: strawberry.Private[str]

    source = source_field("passports")

    passports = loaded(
        loaders.passports_by_person, description="Every passport of this person, the latest issued first."
    )
    iqama = loaded(
        loaders.iqama_by_person,
        description="This person's current iqama (the latest issued), or null for a citizen or visitor.",
    )
    visas = loaded(loaders.visas_by_person, description="Every visa of this person, the latest valid-from date first.")
    absconding_reports = loaded(
        loaders.absconding_reports_by_person,
        description="Absconding reports about this person, the latest filed first.",
    )
    medical_insurance = loaded(
        loaders.insurance_by_person,
        description="This resident's medical insurance policies, the latest ending first.",
    )
    sponsorship_transfers = loaded(
        loaders.transfers_by_person,
        description="Transfers of this worker's sponsorship, pending or done, the latest requested first.",
    )

    @resolver_field(
        description=(
            "The residents this person sponsors (workers and dependants), by iqama number: only those "
            "whose passports records the caller may read in their own right."
        )
    )
    async def sponsored(self, info: Info) -> list[SponsoredPerson]:
        iqamas = await info.context.load(loaders.iqamas_by_sponsor, self.person_id)
        return [SponsoredPerson(iqama=iqama, person_id=iqama.number) for iqama in iqamas]

    @resolver_field(
        description=(
            "The establishments (Absher Business) this person may act for today, by unified number: send one as "
            "X-On-Behalf-Of to act for it. Read by the person, passports officers and a guardian; empty for "
            "anyone else (a sponsor included)."
        )
    )
    async def establishments(self, info: Info) -> list[EstablishmentAuthorisation]:
        return await establishments_of(info, self.person_id)
