"""Civil affairs' mutations. Each checks its rules and writes in one transaction, or refuses.

The national ID card's services are here; the national address and newborns each have a module
under `workflows/`."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    Info,
    NoticeKind,
    Refusal,
    answer_or_refusal,
    document_term_end,
    idempotency_key,
    parse_person_id,
    record,
    serve,
    values_of,
)
from sectors.civil_affairs.models import IdCardRow
from sectors.civil_affairs.services import RENEW_ID_CARD, REPORT_LOST_ID_CARD
from sectors.civil_affairs.types import NationalIdCard
from sectors.civil_affairs.workflows import address, births


@strawberry.input(description="Renew a citizen's national ID card.")
class RenewIdCardInput:
    person_id: strawberry.ID = strawberry.field(description="The citizen's national ID.")
    idempotency_key: str | None = idempotency_key()


RenewIdCardArgument = Annotated[
    RenewIdCardInput, strawberry.argument(description="The national ID of the citizen whose card is renewed.")
]


@strawberry.type(description="A new national ID card was issued; the old one is replaced.")
class IdCardRenewed:
    card: NationalIdCard = strawberry.field(description="The new card, valid for ten years.")


CARD_TERM_YEARS = 10


async def renew_id_card(info: Info, input: RenewIdCardArgument) -> IdCardRenewed | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    today = info.context.today()

    async def renew(session: AsyncSession) -> IdCardRenewed:
        latest = (
            await session.execute(
                select(IdCardRow).where(IdCardRow.person_id == person_id).order_by(IdCardRow.version.desc()).limit(1)
            )
        ).scalar_one()
        # A lost card stays recorded as lost: it was not handed back.
        await session.execute(
            update(IdCardRow)
            .where(IdCardRow.person_id == person_id, IdCardRow.version == latest.version, IdCardRow.status != "lost")
            .values(status="replaced")
        )
        values: dict[str, Any] = dict(
            person_id=person_id,
            version=latest.version + 1,
            issued_on=today,
            expires_on=document_term_end(today, CARD_TERM_YEARS),
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


@strawberry.input(description="Report a national ID card lost.")
class ReportLostIdCardInput:
    person_id: strawberry.ID = strawberry.field(description="The citizen's national ID.")
    idempotency_key: str | None = idempotency_key()


ReportLostIdCardArgument = Annotated[
    ReportLostIdCardInput, strawberry.argument(description="The national ID of the citizen whose card is lost.")
]


@strawberry.type(description="The card is recorded as lost and no longer valid; renewIdCard issues its replacement.")
class IdCardReportedLost:
    card: NationalIdCard = strawberry.field(description="The lost card.")


async def report_lost_id_card(info: Info, input: ReportLostIdCardArgument) -> IdCardReportedLost | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")

    async def report(session: AsyncSession) -> IdCardReportedLost:
        card = (
            await session.execute(
                select(IdCardRow).where(IdCardRow.person_id == person_id).order_by(IdCardRow.version.desc()).limit(1)
            )
        ).scalar_one()
        await session.execute(
            update(IdCardRow)
            .where(IdCardRow.person_id == person_id, IdCardRow.version == card.version)
            .values(status="lost")
        )
        info.context.notify(
            "civil_affairs",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            "Your national ID card is recorded as lost and is no longer valid; renew it for a new one.",
            "سُجلت بطاقة هويتك الوطنية مفقودة ولم تعد سارية؛ جددها لتصدر لك بطاقة جديدة.",
        )
        # The ORM update set `card.status` too (its session synchronises the rows it holds).
        return IdCardReportedLost(card=record(NationalIdCard, values_of(card)))

    return await serve(info.context, REPORT_LOST_ID_CARD, person_id, input, IdCardReportedLost, report)


def fields() -> dict[str, StrawberryField]:
    return {
        **address.fields(),
        **_cards(),
        **births.fields(),
    }


def _cards() -> dict[str, StrawberryField]:
    return {
        "renew_id_card": strawberry.mutation(
            renew_id_card,
            graphql_type=answer_or_refusal(
                "RenewIdCardResult", IdCardRenewed, "The new card, or every rule that blocks it."
            ),
            description=(
                "Renew a national ID card for ten years: by the citizen, a parent for a minor, or a civil "
                "affairs officer, from 180 days before it expires. Refused with every rule that blocks it "
                "(as eligibility(service: RENEW_ID_CARD)); unpaid traffic violations suspend it. A card "
                "reported lost is replaced at once, whatever its expiry."
            ),
        ),
        "report_lost_id_card": strawberry.mutation(
            report_lost_id_card,
            graphql_type=answer_or_refusal(
                "ReportLostIdCardResult", IdCardReportedLost, "The lost card, or every rule that blocks the report."
            ),
            description=(
                "Report a national ID card lost: by the citizen, a parent for a minor, or a civil affairs officer. "
                "The card stops being valid; renewIdCard issues the replacement. Refused with every rule that "
                "blocks it (as eligibility(service: REPORT_LOST_ID_CARD))."
            ),
        ),
    }
