"""Person's own fields (identity), resolved from the registry after the identity access check."""

from __future__ import annotations

import enum
from typing import Self

import strawberry

from hub.contract import CalendarDate, Info, Language
from hub.identity.loaders import person_by_id
from hub.identity.records import IdentityRecord
from hub.policy import IDENTITY


@strawberry.enum(description="Whether a person is a citizen, a resident (iqama holder) or a visitor.")
class PersonKind(enum.Enum):
    CITIZEN = "citizen"
    RESIDENT = "resident"
    VISITOR = "visitor"


@strawberry.enum(description="Sex as recorded in the civil registry.")
class Sex(enum.Enum):
    MALE = "male"
    FEMALE = "female"


async def identity_of(person_id: str, info: Info, field: str) -> IdentityRecord:
    """The person's registry row, after checking (once per request) that the caller may read it."""
    context = info.context
    acting_as = await context.access.require(person_id, IDENTITY)
    context.audit.note(person_id, IDENTITY, acting_as.value, {field})
    record = await context.load(person_by_id, person_id)
    if record is None:  # rows are never deleted; a dangling reference is a data error
        raise LookupError(f"no identity row for a referenced person ({len(person_id)} digits)")
    return record


@strawberry.type(name="PersonCore")
class PersonCore:
    """The fields of `Person` that the hub owns; hub.person adds one namespace field per sector.
    Never exposed under this name: only `Person`, its subclass, is in a schema."""

    id: strawberry.ID = strawberry.field(
        description="The 10-digit ID: national ID (starts with 1), iqama (2) or border number (3)."
    )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        """A federation gateway names a person by ID; fields load (and are checked) as usual."""
        return cls(id=id)

    @strawberry.field(description="Whether the person is a citizen, a resident or a visitor.")
    async def kind(self, info: Info) -> PersonKind:
        return PersonKind((await identity_of(self.id, info, "kind")).kind)

    @strawberry.field(description="Full name in Arabic, as on the ID card or iqama.")
    async def name_ar(self, info: Info) -> str:
        return (await identity_of(self.id, info, "nameAr")).name_ar

    @strawberry.field(description="Full name in English (Latin letters), as on the passport.")
    async def name_en(self, info: Info) -> str:
        return (await identity_of(self.id, info, "nameEn")).name_en

    @strawberry.field(description="Full name in the language asked for.")
    async def name(self, info: Info, language: Language = Language.EN) -> str:
        record = await identity_of(self.id, info, "name")
        return record.name_ar if language is Language.AR else record.name_en

    @strawberry.field(description="Sex as recorded in the civil registry.")
    async def sex(self, info: Info) -> Sex:
        return Sex((await identity_of(self.id, info, "sex")).sex)

    @strawberry.field(description="Date of birth, Gregorian and Hijri.")
    async def born_on(self, info: Info) -> CalendarDate:
        return CalendarDate(gregorian=(await identity_of(self.id, info, "bornOn")).birth_on)

    @strawberry.field(description="Nationality, ISO 3166-1 alpha-3 (SAU for citizens).")
    async def nationality(self, info: Info) -> str:
        return (await identity_of(self.id, info, "nationality")).nationality

    @strawberry.field(description="Registered mobile number (+9665XXXXXXXX); null for children without one.")
    async def mobile(self, info: Info) -> str | None:
        return (await identity_of(self.id, info, "mobile")).mobile
