"""The civil affairs namespace on Person: `person { civilAffairs { … } }`."""

from __future__ import annotations

import strawberry

from hub.contract import Info
from sectors.civil_affairs.loaders import CivilAffairsLoaders
from sectors.civil_affairs.types import BirthRecord, DeathRecord, FamilyRegister, NationalAddress, NationalIdCard


@strawberry.type(
    description=(
        "Civil affairs (Ahwal, الأحوال المدنية): one person's ID card, family register, birth, death and address."
    )
)
class CivilAffairsOfPerson:
    person_id: strawberry.Private[str]

    @strawberry.field(
        description="This citizen's current national ID card (the latest version), or null: "
        "residents and visitors hold none, nor do most children under 15."
    )
    async def id_card(self, info: Info) -> NationalIdCard | None:
        cards = await info.context.loaders(CivilAffairsLoaders).id_cards_by_person.load(self.person_id)
        return cards[0] if cards else None

    @strawberry.field(description="Every version of this citizen's national ID card, the latest version first.")
    async def id_cards(self, info: Info) -> list[NationalIdCard]:
        return await info.context.loaders(CivilAffairsLoaders).id_cards_by_person.load(self.person_id)

    @strawberry.field(description="The family register this person belongs to (as head, wife or child), or null.")
    async def family_register(self, info: Info) -> FamilyRegister | None:
        loaders = info.context.loaders(CivilAffairsLoaders)
        membership = await loaders.membership_by_person.load(self.person_id)
        if membership is None:
            return None
        return await loaders.register_by_number.load(membership.register_number)

    @strawberry.field(description="This person's birth record, or null when the registry holds none.")
    async def birth(self, info: Info) -> BirthRecord | None:
        return await info.context.loaders(CivilAffairsLoaders).birth_by_person.load(self.person_id)

    @strawberry.field(description="This person's death record, or null: null means no death is recorded.")
    async def death(self, info: Info) -> DeathRecord | None:
        return await info.context.loaders(CivilAffairsLoaders).death_by_person.load(self.person_id)

    @strawberry.field(
        description="This person's national address, or null when none is registered (children, visitors)."
    )
    async def address(self, info: Info) -> NationalAddress | None:
        return await info.context.loaders(CivilAffairsLoaders).address_by_person.load(self.person_id)
