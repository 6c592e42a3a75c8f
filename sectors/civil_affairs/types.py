"""Civil affairs' GraphQL types. Every list's order is stated in its field's description."""

from __future__ import annotations

import enum

import strawberry

from hub.contract import CalendarDate, Info, PersonRef, described_enum, of_person, person_ref, resolver_field


@described_enum(
    "The state of one version of a national ID card.",
    {
        "VALID": "The current card, in force until its expiry date.",
        "EXPIRED": "The current card, past its expiry date; renewing it issues a new version.",
        "REPLACED": "A newer version of the card replaced it.",
        "LOST": "Reported lost and no longer valid; renewing it issues a new version at once.",
    },
)
class IdCardStatus(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    REPLACED = "replaced"
    LOST = "lost"


@described_enum(
    "How a member of a family register stands to its head.",
    {
        "HEAD": "The head of the family, in whose name the register is issued.",
        "WIFE": "A wife of the head.",
        "SON": "A son of the head.",
        "DAUGHTER": "A daughter of the head.",
    },
)
class FamilyRelation(enum.Enum):
    HEAD = "head"
    WIFE = "wife"
    SON = "son"
    DAUGHTER = "daughter"


@strawberry.type(description="One version of a citizen's national ID card; its number is the citizen's national ID.")
class NationalIdCard:
    version: int = strawberry.field(description="1 for the first card, then one more for each renewal or replacement.")
    issued_on: CalendarDate = strawberry.field(description="Date of issue.")
    expires_on: CalendarDate = strawberry.field(description="Date of expiry.")
    status: IdCardStatus = strawberry.field(
        description="Valid, expired, replaced (by a renewal or after a loss or damage), or reported lost."
    )


@of_person("civil_affairs:register")
@strawberry.type(description="A member of a family register and how they stand to its head.")
class FamilyMember:
    relation: FamilyRelation = strawberry.field(description="Head, wife, son or daughter.")
    added_on: CalendarDate = strawberry.field(description="The day the member was entered in the register.")
    person_id: strawberry.Private[str]
    register_number: strawberry.Private[str]

    @resolver_field(description="The member.")
    def person(self) -> PersonRef | None:
        return person_ref(self.person_id)


@strawberry.type(description="A citizen family's register (sijil al-usra, سجل الأسرة): a head and his family.")
class FamilyRegister:
    number: str = strawberry.field(description="The register number (opaque digits).")
    issued_on: CalendarDate = strawberry.field(description="The day the register was issued (on marriage).")
    head_id: strawberry.Private[str]

    @resolver_field(description="The head of the family.")
    def head(self) -> PersonRef | None:
        return person_ref(self.head_id)

    @resolver_field(
        description=(
            "Everyone in the register: the head first, then wives, then sons and daughters together; "
            "within each group in the order they were entered (children: eldest first), then by ID. "
            "Only the members whose entry the caller may read: their own, their minor children's, "
            "every member's for the register's head, all for a civil affairs officer."
        )
    )
    async def members(self, info: Info) -> list[FamilyMember]:
        from sectors.civil_affairs.loaders import members_by_register  # the loaders import these types

        return await info.context.load(members_by_register, self.number)


@strawberry.type(description="A birth as the civil registry records it.")
class BirthRecord:
    born_on: CalendarDate = strawberry.field(description="Date of birth.")
    country: str = strawberry.field(description="Country of birth, ISO 3166-1 alpha-3 (SAU: in the Kingdom).")
    city_ar: str | None = strawberry.field(description="City of birth, in Arabic; null when a birth abroad names none.")
    city_en: str | None = strawberry.field(
        description="City of birth, in English; null when a birth abroad names none."
    )
    father_id: strawberry.Private[str | None]
    mother_id: strawberry.Private[str | None]

    @resolver_field(description="The father, or null when the registry does not know him.")
    def father(self) -> PersonRef | None:
        return person_ref(self.father_id)

    @resolver_field(description="The mother, or null when the registry does not know her.")
    def mother(self) -> PersonRef | None:
        return person_ref(self.mother_id)


@strawberry.type(description="A death as the civil registry records it.")
class DeathRecord:
    died_on: CalendarDate = strawberry.field(description="Date of death.")
    city_ar: str = strawberry.field(description="City of death, in Arabic.")
    city_en: str = strawberry.field(description="City of death, in English.")


@strawberry.type(description="A person's national address (العنوان الوطني), registered with Saudi Post.")
class NationalAddress:
    building_number: str = strawberry.field(description="Building number: 4 digits.")
    street_ar: str = strawberry.field(description="Street, in Arabic.")
    street_en: str = strawberry.field(description="Street, in English.")
    district_ar: str = strawberry.field(description="District, in Arabic.")
    district_en: str = strawberry.field(description="District, in English.")
    city_ar: str = strawberry.field(description="City, in Arabic.")
    city_en: str = strawberry.field(description="City, in English.")
    postal_code: str = strawberry.field(description="Postal code: 5 digits, the first naming the postal region.")
    additional_number: str = strawberry.field(description="Additional number: 4 digits.")
    short_address: str = strawberry.field(description="Short address: 4 capital Latin letters then 4 digits.")
    updated_on: CalendarDate = strawberry.field(description="The day the address was registered or last changed.")
