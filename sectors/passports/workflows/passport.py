"""Renewing a Saudi passport: a new passport replaces the last one, for the same term."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated

import strawberry
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    Info,
    NoticeKind,
    Refusal,
    answer_or_refusal,
    idempotency_key,
    insert_new,
    parse_person_id,
    record,
    refusals,
    serve,
    updated,
)
from sectors.passports.models import PassportRow
from sectors.passports.services import RENEW_PASSPORT
from sectors.passports.types import Passport

TERM_DAYS = (365 * 5, 365 * 10)
"""A Saudi passport runs five or ten years; the new one runs as long as the one it replaces."""

_refusal = refusals(
    {
        "PASSPORT_CHANGED": (
            "The passport changed while this request was decided; ask again.",
            "تغير جواز السفر أثناء معالجة الطلب؛ أعد المحاولة.",
        ),
    }
)


@strawberry.input(description="Renew a citizen's Saudi passport.")
class RenewPassportInput:
    person_id: strawberry.ID = strawberry.field(description="The citizen's national ID.")
    idempotency_key: str | None = idempotency_key()


RenewPassportArgument = Annotated[
    RenewPassportInput, strawberry.argument(description="The national ID of the citizen whose passport is renewed.")
]


@strawberry.type(description="A new passport was issued; the one it replaces is cancelled.")
class PassportRenewed:
    passport: Passport = strawberry.field(description="The new passport.")


async def renew_passport(info: Info, input: RenewPassportArgument) -> PassportRenewed | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    context = info.context
    today = context.today()

    async def renew(session: AsyncSession) -> PassportRenewed | Refusal:
        old = (
            await session.execute(
                select(PassportRow)
                .where(
                    PassportRow.person_id == person_id,
                    PassportRow.issuing_country == "SAU",
                    PassportRow.status.in_(("valid", "expired")),
                )
                .order_by(PassportRow.issued_on.desc(), PassportRow.number)
                .limit(1)
            )
        ).scalar_one_or_none()
        if old is None:
            return _refusal("PASSPORT_CHANGED")
        term = TERM_DAYS[1] if (old.expires_on - old.issued_on).days > TERM_DAYS[0] + 30 else TERM_DAYS[0]
        changed = await updated(
            session,
            update(PassportRow)
            .where(PassportRow.number == old.number, PassportRow.status == old.status)
            .values(status="cancelled"),
        )
        if changed != 1:
            return _refusal("PASSPORT_CHANGED")
        values = await insert_new(
            session,
            PassportRow,
            dict(
                person_id=person_id,
                issuing_country="SAU",
                issued_on=today,
                expires_on=today + dt.timedelta(days=term),
                status="valid",
            ),
            "number",
            lambda: f"A{secrets.randbelow(10**8):08d}",
        )
        until = values["expires_on"].isoformat()
        context.notify(
            "passports",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Your new passport {values['number']} was issued, valid until {until}.",
            f"صدر جواز سفرك الجديد رقم {values['number']}، صالح حتى {until}.",
        )
        return PassportRenewed(passport=record(Passport, values))

    return await serve(context, RENEW_PASSPORT, person_id, input, PassportRenewed, renew)


def fields() -> dict[str, StrawberryField]:
    return {
        "renew_passport": strawberry.mutation(
            renew_passport,
            graphql_type=answer_or_refusal(
                "RenewPassportResult", PassportRenewed, "The new passport, or every rule that blocks it."
            ),
            description=(
                "Renew a citizen's Saudi passport for the term of the one it replaces (five or ten years): by the "
                "citizen, a guardian or a passports officer. Refused with every rule that blocks it (as "
                "eligibility(service: RENEW_PASSPORT)); unpaid traffic violations suspend it."
            ),
        ),
    }
