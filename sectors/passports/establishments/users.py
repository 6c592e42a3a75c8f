"""Who may act for an establishment: `grantEstablishmentUser` and `revokeEstablishmentUser`.

The register names no owner or manager of an establishment, so its authorised users are kept by
Jawazat: a passports officer (or a service scoped `passports:write`) grants and revokes them. Each
write is atomic, audited against the user granted or revoked (a party to it, told by a notice),
and takes effect on the user's next request: the authorisation is read afresh on every one."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    ActingAs,
    CalendarDate,
    Info,
    NoticeKind,
    Refusal,
    answer_or_refusal,
    idempotency_key,
    parse_person_id,
    parse_unified_number,
    refusals,
    updated,
)
from sectors.passports.models import EstablishmentRow, EstablishmentUserRow

NOBODY: frozenset[ActingAs] = frozenset()
"""No individual grants or revokes: only the sector's officers and its writing services."""

_refusal = refusals(
    {
        "ESTABLISHMENT_NOT_FOUND": (
            "No establishment has this unified number.",
            "لا توجد منشأة بهذا الرقم الموحد.",
        ),
        "ALREADY_AUTHORISED": (
            "This person is already an authorised user of the establishment.",
            "هذا الشخص مستخدم مفوض للمنشأة بالفعل.",
        ),
        "NOT_AUTHORISED": (
            "This person is not an authorised user of the establishment.",
            "هذا الشخص ليس مستخدماً مفوضاً للمنشأة.",
        ),
        "AUTHORISATION_CHANGED": (
            "The authorisation changed while this request was decided; ask again.",
            "تغير التفويض أثناء معالجة الطلب؛ أعد المحاولة.",
        ),
    }
)


@strawberry.input(description="A person and the establishment they are to act for, or to act for no more.")
class EstablishmentUserInput:
    unified_number: strawberry.ID = strawberry.field(
        description="The establishment's unified number (الرقم الموحد): ten digits starting with 7."
    )
    person_id: strawberry.ID = strawberry.field(description="The user's ID (national ID or iqama number).")
    idempotency_key: str | None = idempotency_key()


# One input type per mutation: an idempotency key stands for its input's type and values, so a key
# sent to grant is refused by revoke rather than replaying the grant's answer.
@strawberry.input(description="Make a person an authorised user of an establishment.")
class GrantEstablishmentUserInput(EstablishmentUserInput):
    pass


GrantEstablishmentUserArgument = Annotated[
    GrantEstablishmentUserInput,
    strawberry.argument(
        description="The establishment's unified number and the ID of the person made its authorised user."
    ),
]


@strawberry.input(description="Revoke a person's authorisation to act for an establishment.")
class RevokeEstablishmentUserInput(EstablishmentUserInput):
    pass


RevokeEstablishmentUserArgument = Annotated[
    RevokeEstablishmentUserInput,
    strawberry.argument(
        description="The establishment's unified number and the ID of the user whose authorisation is revoked."
    ),
]


@strawberry.type(description="A person's authorisation to act for an establishment, as it stands after the write.")
class EstablishmentUser:
    unified_number: strawberry.ID = strawberry.field(description="The establishment's unified number.")
    user_id: strawberry.ID = strawberry.field(description="The authorised user's ID.")
    active: bool = strawberry.field(description="Whether the user may act for the establishment.")
    granted_on: CalendarDate = strawberry.field(description="The day the authorisation was (last) granted.")
    revoked_on: CalendarDate | None = strawberry.field(description="The day it was revoked; null while active.")


@strawberry.type(description="The person was made an authorised user of the establishment.")
class EstablishmentUserGranted:
    user: EstablishmentUser = strawberry.field(description="The authorisation, active from today.")


@strawberry.type(description="The person's authorisation to act for the establishment was revoked.")
class EstablishmentUserRevoked:
    user: EstablishmentUser = strawberry.field(description="The authorisation, revoked today (kept on record).")


async def _user(session: AsyncSession, number: str, person_id: str) -> EstablishmentUser:
    row = (
        await session.execute(
            select(EstablishmentUserRow).where(
                EstablishmentUserRow.establishment_number == number, EstablishmentUserRow.person_id == person_id
            )
        )
    ).scalar_one()
    return EstablishmentUser(
        unified_number=strawberry.ID(row.establishment_number),
        user_id=strawberry.ID(row.person_id),
        active=row.status == "active",
        granted_on=CalendarDate(gregorian=row.granted_on),
        revoked_on=None if row.revoked_on is None else CalendarDate(gregorian=row.revoked_on),
    )


async def _exists(session: AsyncSession, number: str) -> bool:
    found = await session.execute(
        select(EstablishmentRow.unified_number).where(EstablishmentRow.unified_number == number)
    )
    return found.first() is not None


async def _status(session: AsyncSession, number: str, person_id: str) -> str | None:
    found = await session.execute(
        select(EstablishmentUserRow.status).where(
            EstablishmentUserRow.establishment_number == number, EstablishmentUserRow.person_id == person_id
        )
    )
    return found.scalar_one_or_none()


async def _parsed(info: Info, input: EstablishmentUserInput) -> tuple[str, str]:
    """The establishment and the user, once the caller may write the user's passports records."""
    number = parse_unified_number(input.unified_number, "input.unifiedNumber")
    person_id = parse_person_id(input.person_id, "input.personId")
    await info.context.require_write(person_id, "passports", allow=NOBODY)
    await info.context.require_known_person(person_id)
    return number, person_id


async def grant_establishment_user(
    info: Info, input: GrantEstablishmentUserArgument
) -> EstablishmentUserGranted | Refusal:
    number, person_id = await _parsed(info, input)
    context = info.context
    today = context.today()

    async def grant(session: AsyncSession) -> EstablishmentUserGranted | Refusal:
        if not await _exists(session, number):
            return _refusal("ESTABLISHMENT_NOT_FOUND")
        status = await _status(session, number, person_id)
        if status == "active":
            return _refusal("ALREADY_AUTHORISED")
        active = dict(status="active", granted_on=today, revoked_on=None)
        if status is None:
            await session.execute(
                insert(EstablishmentUserRow).values(establishment_number=number, person_id=person_id, **active)
            )
        else:
            # A former user granted again: the row says since when they act for it this time.
            again = update(EstablishmentUserRow).where(
                EstablishmentUserRow.establishment_number == number,
                EstablishmentUserRow.person_id == person_id,
                EstablishmentUserRow.status == "revoked",
            )
            if await updated(session, again.values(active)) != 1:
                return _refusal("AUTHORISATION_CHANGED")
        _tell(info, person_id, f"You may now act for establishment {number}.", f"أصبحت مفوضاً عن المنشأة {number}.")
        return EstablishmentUserGranted(user=await _user(session, number, person_id))

    return await context.once(input, EstablishmentUserGranted, grant)


async def revoke_establishment_user(
    info: Info, input: RevokeEstablishmentUserArgument
) -> EstablishmentUserRevoked | Refusal:
    number, person_id = await _parsed(info, input)
    context = info.context
    today = context.today()

    async def revoke(session: AsyncSession) -> EstablishmentUserRevoked | Refusal:
        if not await _exists(session, number):
            return _refusal("ESTABLISHMENT_NOT_FOUND")
        still = update(EstablishmentUserRow).where(
            EstablishmentUserRow.establishment_number == number,
            EstablishmentUserRow.person_id == person_id,
            EstablishmentUserRow.status == "active",
        )
        if await updated(session, still.values(status="revoked", revoked_on=today)) != 1:
            return _refusal("NOT_AUTHORISED")
        _tell(
            info, person_id, f"You may no longer act for establishment {number}.", f"ألغي تفويضك عن المنشأة {number}."
        )
        return EstablishmentUserRevoked(user=await _user(session, number, person_id))

    return await context.once(input, EstablishmentUserRevoked, revoke)


def _tell(info: Info, person_id: str, english: str, arabic: str) -> None:
    # Told of it, the user is a party to the write (as the input's personId already makes them).
    info.context.notify("passports", person_id, NoticeKind.SERVICE_COMPLETED, english, arabic)


def fields() -> dict[str, StrawberryField]:
    return {
        "grant_establishment_user": strawberry.mutation(
            grant_establishment_user,
            graphql_type=answer_or_refusal(
                "GrantEstablishmentUserResult", EstablishmentUserGranted, "The authorisation, or why it was refused."
            ),
            description=(
                "Make a person an authorised user of an establishment (Absher Business), from today: by a passports "
                "officer (the register names no owner of an establishment). Refused with ESTABLISHMENT_NOT_FOUND or "
                "ALREADY_AUTHORISED; FORBIDDEN for anyone else, NOT_FOUND for an ID no one has. The user is told, and "
                "sees the write in their access log."
            ),
        ),
        "revoke_establishment_user": strawberry.mutation(
            revoke_establishment_user,
            graphql_type=answer_or_refusal(
                "RevokeEstablishmentUserResult", EstablishmentUserRevoked, "The authorisation, or why it was refused."
            ),
            description=(
                "Revoke a person's authorisation to act for an establishment, from their next request: by a passports "
                "officer. The authorisation stays on record, revoked. Refused with ESTABLISHMENT_NOT_FOUND or "
                "NOT_AUTHORISED; FORBIDDEN for anyone else. The user is told, and sees the write in their access log."
            ),
        ),
    }
