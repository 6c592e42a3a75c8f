"""Traffic's mutations. Each checks its rules and writes in one transaction, or refuses.

Renewing a driving licence is here; violations and vehicles each have a module under `workflows/`."""

from __future__ import annotations

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
    blocked,
    document_term_end,
    idempotency_key,
    parse_person_id,
    record,
    serve,
    updated,
)
from sectors.traffic.models import DrivingLicenceRow
from sectors.traffic.services import RENEW_DRIVING_LICENCE, RULES
from sectors.traffic.types import DrivingLicence
from sectors.traffic.workflows import vehicles, violations


@strawberry.input(description="Renew a driving licence.")
class RenewDrivingLicenceInput:
    person_id: strawberry.ID = strawberry.field(description="The holder's national ID or iqama number.")
    idempotency_key: str | None = idempotency_key()


RenewDrivingLicenceArgument = Annotated[
    RenewDrivingLicenceInput, strawberry.argument(description="The ID of the holder whose driving licence is renewed.")
]


@strawberry.type(description="The driving licence was renewed.")
class DrivingLicenceRenewed:
    licence: DrivingLicence = strawberry.field(description="The licence, valid for ten more years.")


LICENCE_TERM_YEARS = 10


async def renew_driving_licence(info: Info, input: RenewDrivingLicenceArgument) -> DrivingLicenceRenewed | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    today = info.context.today()

    async def renew(session: AsyncSession) -> DrivingLicenceRenewed | Refusal:
        licence = (
            await session.execute(
                select(DrivingLicenceRow)
                .where(DrivingLicenceRow.person_id == person_id)
                .order_by(DrivingLicenceRow.issued_on.desc(), DrivingLicenceRow.number)
                .limit(1)
            )
        ).scalar_one()
        start = max(today, licence.expires_on)
        changes = {
            "issued_on": today,
            "expires_on": document_term_end(start, LICENCE_TERM_YEARS),
            "status": "valid",
        }
        # Conditional on what the rules saw, so a licence suspended meanwhile is not renewed.
        renewed = await updated(
            session,
            update(DrivingLicenceRow)
            .where(DrivingLicenceRow.number == licence.number, DrivingLicenceRow.status != "suspended")
            .values(changes),
        )
        if renewed != 1:
            return blocked([RULES("LICENCE_SUSPENDED")])
        values = {column: getattr(licence, column) for column in ("number", "licence_class")} | changes
        until = str(changes["expires_on"])  # a date: ISO 8601
        info.context.notify(
            "traffic",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Your driving licence {licence.number} was renewed until {until}.",
            f"جُددت رخصة قيادتك رقم {licence.number} حتى {until}.",
        )
        return DrivingLicenceRenewed(licence=record(DrivingLicence, values))

    return await serve(info.context, RENEW_DRIVING_LICENCE, person_id, input, DrivingLicenceRenewed, renew)


def fields() -> dict[str, StrawberryField]:
    on_violations = violations.fields()
    # In the schema's order: paying a violation follows renewing a licence.
    return {
        "record_traffic_violation": on_violations.pop("record_traffic_violation"),
        "object_to_traffic_violation": on_violations.pop("object_to_traffic_violation"),
        **_licence(),
        **on_violations,
        **vehicles.fields(),
    }


def _licence() -> dict[str, StrawberryField]:
    return {
        "renew_driving_licence": strawberry.mutation(
            renew_driving_licence,
            graphql_type=answer_or_refusal(
                "RenewDrivingLicenceResult", DrivingLicenceRenewed, "The renewed licence, or every rule that blocks it."
            ),
            description=(
                "Renew a driving licence for ten years (from its expiry, or today if it has expired): by the "
                "holder or a traffic officer, from 180 days before it expires. Refused with every rule that "
                "blocks it (the same as eligibility(service: RENEW_DRIVING_LICENCE))."
            ),
        ),
    }
