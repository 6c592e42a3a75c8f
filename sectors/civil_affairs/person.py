"""The civil affairs namespace on Person: `person { civilAffairs { … } }`."""

from __future__ import annotations

import strawberry

from hub.contract import Info, loaded, resolver_field, source_field
from sectors.civil_affairs import loaders
from sectors.civil_affairs.types import FamilyRegister


@strawberry.type(
    description=(
        "Civil affairs (Ahwal, الأحوال المدنية): one person's ID card, family register, birth, death and address."
    )
)
class CivilAffairsOfPerson:
    person_id: strawberry.Private[str]

    source = source_field("civil_affairs")

    id_card = loaded(
        loaders.id_card_by_person,
        description="This citizen's current national ID card (the latest version), or null: "
        "residents and visitors hold none, nor do most children under 15.",
    )
    id_cards = loaded(
        loaders.id_cards_by_person, description="Every version of this citizen's national ID card, the latest first."
    )
    birth = loaded(
        loaders.birth_by_person, description="This person's birth record, or null when the registry holds none."
    )
    death = loaded(
        loaders.death_by_person, description="This person's death record, or null: null means no death is recorded."
    )
    address = loaded(
        loaders.address_by_person,
        description="This person's national address, or null when none is registered (children, visitors).",
    )

    @resolver_field(description="The family register this person belongs to (as head, wife or child), or null.")
    async def family_register(self, info: Info) -> FamilyRegister | None:
        membership = await info.context.load(loaders.membership_by_person, self.person_id)
        if membership is None:
            return None
        return await info.context.load(loaders.register_by_number, membership.register_number)
