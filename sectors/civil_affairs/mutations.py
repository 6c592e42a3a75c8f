"""Civil affairs' mutations. Each checks its rules and writes in one transaction, or refuses."""

from __future__ import annotations

import re
from typing import Annotated, Any

import strawberry
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    ActingAs,
    Code,
    Info,
    NoticeKind,
    RabtError,
    Refusal,
    idempotency_key,
    parse_person_id,
    record,
    refusals,
    serve,
)
from sectors.civil_affairs.models import DeathRow, IdCardRow, NationalAddressRow
from sectors.civil_affairs.services import RENEW_ID_CARD
from sectors.civil_affairs.types import NationalAddress, NationalIdCard

TEXT_LIMIT = 60
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")
_LATIN_TEXT = re.compile(r"[A-Za-z0-9 .,'/-]*[A-Za-z][A-Za-z0-9 .,'/-]*")


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


@strawberry.type(description="The national address was registered or changed.")
class NationalAddressUpdated:
    address: NationalAddress = strawberry.field(description="The address as now registered.")


UpdateNationalAddressResult = Annotated[
    NationalAddressUpdated | Refusal,
    strawberry.union("UpdateNationalAddressResult", description="The new address, or why it was not changed."),
]


def _bad(argument: str, rule: str) -> RabtError:
    return RabtError(Code.BAD_USER_INPUT, f"{argument}: {rule}.", argument=argument)


def _digits(value: str, count: int, argument: str) -> str:
    value = value.strip()
    if len(value) != count or not value.isascii() or not value.isdigit():
        raise _bad(argument, f"exactly {count} digits (0-9)")
    return value


def _text(value: str, argument: str, *, arabic: bool, limit: int = TEXT_LIMIT) -> str:
    value = " ".join(value.split())
    if not value or len(value) > limit:
        raise _bad(argument, f"between 1 and {limit} characters")
    if arabic and not _ARABIC_LETTER.search(value):
        raise _bad(argument, "written in Arabic letters")
    if not arabic and not _LATIN_TEXT.fullmatch(value):
        raise _bad(argument, "written in Latin letters, digits and . , ' / -")
    return value


def _short_address(value: str, argument: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{4}[0-9]{4}", value):
        raise _bad(argument, "4 Latin letters then 4 digits, e.g. RRRD2929")
    return value


def _address_values(data: UpdateNationalAddressInput) -> dict[str, Any]:
    """The row's columns from the input, each checked: BAD_USER_INPUT names the first wrong field."""
    return dict(
        building_number=_digits(data.building_number, 4, "input.buildingNumber"),
        street_ar=_text(data.street_ar, "input.streetAr", arabic=True),
        street_en=_text(data.street_en, "input.streetEn", arabic=False),
        district_ar=_text(data.district_ar, "input.districtAr", arabic=True),
        district_en=_text(data.district_en, "input.districtEn", arabic=False),
        city_ar=_text(data.city_ar, "input.cityAr", arabic=True, limit=40),
        city_en=_text(data.city_en, "input.cityEn", arabic=False, limit=40),
        postal_code=_digits(data.postal_code, 5, "input.postalCode"),
        additional_number=_digits(data.additional_number, 4, "input.additionalNumber"),
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


async def update_national_address(info: Info, input: UpdateNationalAddressInput) -> UpdateNationalAddressResult:
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


@strawberry.input(description="Renew a citizen's national ID card.")
class RenewIdCardInput:
    person_id: strawberry.ID = strawberry.field(description="The citizen's national ID.")
    idempotency_key: str | None = idempotency_key()


@strawberry.type(description="A new national ID card was issued; the old one is replaced.")
class IdCardRenewed:
    card: NationalIdCard = strawberry.field(description="The new card, valid for ten years.")


RenewIdCardResult = Annotated[
    IdCardRenewed | Refusal,
    strawberry.union("RenewIdCardResult", description="The new card, or every rule that blocks it."),
]

CARD_TERM_YEARS = 10


async def renew_id_card(info: Info, input: RenewIdCardInput) -> RenewIdCardResult:
    person_id = parse_person_id(input.person_id, "input.personId")
    today = info.context.today()

    async def renew(session: AsyncSession) -> IdCardRenewed:
        latest = (
            await session.execute(
                select(IdCardRow).where(IdCardRow.person_id == person_id).order_by(IdCardRow.version.desc()).limit(1)
            )
        ).scalar_one()
        await session.execute(
            update(IdCardRow)
            .where(IdCardRow.person_id == person_id, IdCardRow.version == latest.version)
            .values(status="replaced")
        )
        values: dict[str, Any] = dict(
            person_id=person_id,
            version=latest.version + 1,
            issued_on=today,
            expires_on=today.replace(year=today.year + CARD_TERM_YEARS, day=min(today.day, 28)),
            status="valid",
        )
        # The card's version is part of the key: of two concurrent renewals one fails and rolls back.
        await session.execute(insert(IdCardRow).values(values))
        until = values["expires_on"].isoformat()
        info.context.notify(
            "civil_affairs",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"A new national ID card was issued for you, valid until {until}.",
            f"صدرت لك بطاقة هوية وطنية جديدة، صالحة حتى {until}.",
        )
        return IdCardRenewed(card=record(NationalIdCard, values))

    return await serve(info.context, RENEW_ID_CARD, person_id, input, IdCardRenewed, renew)


def fields() -> dict[str, StrawberryField]:
    return {
        "update_national_address": strawberry.mutation(
            update_national_address,
            description=(
                "Register or change a person's national address: by the person themself, by a parent "
                "for a minor child, or by a civil affairs officer. Every part is checked for its format "
                "(BAD_USER_INPUT names the field); an ID the registry does not know is NOT_FOUND. "
                "Refused (PERSON_DECEASED) for a person with a death record."
            ),
        ),
        "renew_id_card": strawberry.mutation(
            renew_id_card,
            description=(
                "Renew a national ID card for ten years: by the citizen, a parent for a minor, or a civil "
                "affairs officer, from 180 days before it expires. Refused with every rule that blocks it "
                "(as eligibility(service: RENEW_ID_CARD)); unpaid traffic violations suspend it."
            ),
        ),
    }
