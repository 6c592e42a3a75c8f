"""A person's national address, in Saudi Post's format: registered or changed by the person, a
parent for a minor, or an officer."""

from __future__ import annotations

import re
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    ActingAs,
    Info,
    NoticeKind,
    Refusal,
    answer_or_refusal,
    idempotency_key,
    parse_person_id,
    record,
    refusals,
)
from sectors.civil_affairs.models import DeathRow, NationalAddressRow
from sectors.civil_affairs.types import NationalAddress
from sectors.civil_affairs.workflows.text import bad, digits, text


@strawberry.input(description="A person's new national address, in Saudi Post's format.")
class UpdateNationalAddressInput:
    person_id: strawberry.ID = strawberry.field(description="The person's national ID or iqama number.")
    building_number: str = strawberry.field(description="Building number: 4 digits.")
    street_ar: str = strawberry.field(description="Street, in Arabic letters (at most 60 characters).")
    street_en: str = strawberry.field(description="Street, in Latin letters (at most 60 characters).")
    district_ar: str = strawberry.field(description="District, in Arabic letters (at most 60 characters).")
    district_en: str = strawberry.field(description="District, in Latin letters (at most 60 characters).")
    city_ar: str = strawberry.field(description="City, in Arabic letters (at most 40 characters).")
    city_en: str = strawberry.field(description="City, in Latin letters (at most 40 characters).")
    postal_code: str = strawberry.field(description="Postal code: 5 digits.")
    additional_number: str = strawberry.field(description="Additional number: 4 digits.")
    short_address: str = strawberry.field(description="Short address: 4 Latin letters then 4 digits, e.g. RRRD2929.")
    idempotency_key: str | None = idempotency_key()


UpdateNationalAddressArgument = Annotated[
    UpdateNationalAddressInput,
    strawberry.argument(description="The person's ID and their new national address, part by part."),
]


@strawberry.type(description="The national address was registered or changed.")
class NationalAddressUpdated:
    address: NationalAddress = strawberry.field(description="The address as now registered.")


def _short_address(value: str, argument: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{4}[0-9]{4}", value):
        raise bad(argument, "4 Latin letters then 4 digits, e.g. RRRD2929")
    return value


def _address_values(data: UpdateNationalAddressInput) -> dict[str, Any]:
    """The row's columns from the input, each checked: BAD_USER_INPUT names the first wrong field."""
    return dict(
        building_number=digits(data.building_number, 4, "input.buildingNumber"),
        street_ar=text(data.street_ar, "input.streetAr", arabic=True),
        street_en=text(data.street_en, "input.streetEn", arabic=False),
        district_ar=text(data.district_ar, "input.districtAr", arabic=True),
        district_en=text(data.district_en, "input.districtEn", arabic=False),
        city_ar=text(data.city_ar, "input.cityAr", arabic=True, limit=40),
        city_en=text(data.city_en, "input.cityEn", arabic=False, limit=40),
        postal_code=digits(data.postal_code, 5, "input.postalCode"),
        additional_number=digits(data.additional_number, 4, "input.additionalNumber"),
        short_address=_short_address(data.short_address, "input.shortAddress"),
    )


_refusal = refusals(
    {
        "PERSON_DECEASED": (
            "This person is recorded as deceased; their national address cannot be changed.",
            "هذا الشخص مسجل متوفى، ولا يمكن تعديل عنوانه الوطني.",
        ),
    }
)


async def update_national_address(info: Info, input: UpdateNationalAddressArgument) -> NationalAddressUpdated | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    values = _address_values(input)
    context = info.context
    await context.require_write(person_id, "civil_affairs", allow=frozenset({ActingAs.SELF, ActingAs.GUARDIAN}))
    await context.require_known_person(person_id)
    values["updated_on"] = context.today()

    async def change(session: AsyncSession) -> NationalAddressUpdated | Refusal:
        died = await session.scalar(select(DeathRow.died_on).where(DeathRow.person_id == person_id))
        if died is not None:
            return _refusal("PERSON_DECEASED")
        row = await session.get(NationalAddressRow, person_id)
        if row is None:
            session.add(NationalAddressRow(person_id=person_id, **values))
        else:
            for name, value in values.items():
                setattr(row, name, value)
        info.context.notify(
            "civil_affairs",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Your national address was updated: {values['short_address']}.",
            f"حُدّث عنوانك الوطني: {values['short_address']}.",
        )
        await session.flush()
        return NationalAddressUpdated(address=record(NationalAddress, values))

    return await context.once(input, NationalAddressUpdated, change)


def fields() -> dict[str, StrawberryField]:
    return {
        "update_national_address": strawberry.mutation(
            update_national_address,
            graphql_type=answer_or_refusal(
                "UpdateNationalAddressResult", NationalAddressUpdated, "The new address, or why it was not changed."
            ),
            description=(
                "Register or change a person's national address: by the person themself, by a parent "
                "for a minor child, or by a civil affairs officer. Every part is checked for its format "
                "(BAD_USER_INPUT names the field); an ID the registry does not know is NOT_FOUND. "
                "Refused (PERSON_DECEASED) for a person with a death record."
            ),
        ),
    }
