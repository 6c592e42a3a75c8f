"""Extending and cancelling visas already issued: exit/re-entry (single or multiple) and final exit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    Code,
    Info,
    NoticeKind,
    RabtError,
    Refusal,
    answer_or_refusal,
    idempotency_key,
    parse_person_id,
    record,
    refusals,
    serve,
    updated,
)
from sectors.passports.models import IqamaRow, VisaRow
from sectors.passports.services import (
    CANCEL_EXIT_REENTRY_VISA,
    CANCEL_FINAL_EXIT_VISA,
    EXIT_REENTRY,
    EXTEND_EXIT_REENTRY_VISA,
    cancellable_visa,
    extendable_visa,
)
from sectors.passports.types import Visa, VisaKind, VisaStatus

EXTENSION_MAX_DAYS = 180

_refusal = refusals(
    {
        "IQAMA_TOO_SHORT": (
            "The iqama expires before the extended visa would end; renew the iqama first.",
            "تنتهي الإقامة قبل نهاية التأشيرة بعد التمديد؛ جدد الإقامة أولاً.",
        ),
        "VISA_CHANGED": (
            "The visa changed while this request was decided; ask again.",
            "تغيرت التأشيرة أثناء معالجة الطلب؛ أعد المحاولة.",
        ),
    }
)


async def visa_values(session: AsyncSession, number: str) -> dict[str, Any]:
    row = (await session.execute(select(VisaRow).where(VisaRow.number == number))).scalar_one()
    return {column.key: getattr(row, column.key) for column in VisaRow.__table__.columns}


@strawberry.input(description="Extend a resident's exit/re-entry visa (single or multiple), abroad or not.")
class ExtendExitReentryVisaInput:
    person_id: strawberry.ID = strawberry.field(description="The resident's iqama number.")
    days: int = strawberry.field(description=f"Days added to the visa: 1 to {EXTENSION_MAX_DAYS}.")
    idempotency_key: str | None = idempotency_key()


ExtendExitReentryVisaArgument = Annotated[
    ExtendExitReentryVisaInput,
    strawberry.argument(description="The resident's iqama number and the days added to their exit/re-entry visa."),
]


@strawberry.type(description="The exit/re-entry visa was extended.")
class ExitReentryVisaExtended:
    visa: Visa = strawberry.field(description="The visa, with its new end and allowed days.")


async def extend_exit_reentry_visa(
    info: Info, input: ExtendExitReentryVisaArgument
) -> ExitReentryVisaExtended | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    if not 1 <= input.days <= EXTENSION_MAX_DAYS:
        raise RabtError(Code.BAD_USER_INPUT, f"input.days: between 1 and {EXTENSION_MAX_DAYS}.", argument="input.days")
    context = info.context
    today = context.today()

    async def extend(session: AsyncSession) -> ExitReentryVisaExtended | Refusal:
        visa = await extendable_visa(context, person_id)
        if visa is None:  # the rules saw one; it went meanwhile
            return _refusal("VISA_CHANGED")
        until = max(visa.valid_until.gregorian, today) + dt.timedelta(days=input.days)
        iqama_ends = await session.scalar(select(IqamaRow.expires_on).where(IqamaRow.number == person_id))
        if iqama_ends is None or iqama_ends < until:
            return _refusal("IQAMA_TOO_SHORT")
        # A holder abroad keeps a used visa (it brings them back); one not yet used stays issued.
        status = VisaStatus.USED if visa.status is VisaStatus.USED else VisaStatus.ISSUED
        changed = await updated(
            session,
            update(VisaRow)
            .where(VisaRow.number == visa.number, VisaRow.status == visa.status.value)
            .values(valid_until=until, allowed_days=visa.allowed_days + input.days, status=status.value),
        )
        if changed != 1:
            return _refusal("VISA_CHANGED")
        context.notify(
            "passports",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Your exit/re-entry visa {visa.number} was extended until {until.isoformat()}.",
            f"مُددت تأشيرة الخروج والعودة رقم {visa.number} حتى {until.isoformat()}.",
        )
        return ExitReentryVisaExtended(visa=record(Visa, await visa_values(session, visa.number)))

    return await serve(context, EXTEND_EXIT_REENTRY_VISA, person_id, input, ExitReentryVisaExtended, extend)


@strawberry.input(description="Cancel a resident's unused visa.")
class CancelVisaInput:
    person_id: strawberry.ID = strawberry.field(description="The resident's iqama number.")
    idempotency_key: str | None = idempotency_key()


CancelExitReentryVisaArgument = Annotated[
    CancelVisaInput,
    strawberry.argument(description="The iqama number of the resident whose unused exit/re-entry visa is cancelled."),
]

CancelFinalExitVisaArgument = Annotated[
    CancelVisaInput,
    strawberry.argument(description="The iqama number of the resident whose unused final exit visa is cancelled."),
]


@strawberry.type(description="The visa was cancelled.")
class VisaCancelled:
    visa: Visa = strawberry.field(description="The visa, now cancelled.")


async def _cancel(
    info: Info, input: CancelVisaInput, kinds: set[VisaKind], final_exit: bool
) -> VisaCancelled | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    context = info.context
    service = CANCEL_FINAL_EXIT_VISA if final_exit else CANCEL_EXIT_REENTRY_VISA

    async def cancel(session: AsyncSession) -> VisaCancelled | Refusal:
        visa = await cancellable_visa(context, person_id, kinds)
        if visa is None:  # the rules saw one; it went meanwhile
            return _refusal("VISA_CHANGED")
        changed = await updated(
            session,
            update(VisaRow).where(VisaRow.number == visa.number, VisaRow.status == "issued").values(status="cancelled"),
        )
        if changed != 1:
            return _refusal("VISA_CHANGED")
        english, arabic = ("final exit", "الخروج النهائي") if final_exit else ("exit/re-entry", "الخروج والعودة")
        context.notify(
            "passports",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Your {english} visa {visa.number} was cancelled.",
            f"أُلغيت تأشيرة {arabic} رقم {visa.number}.",
        )
        return VisaCancelled(visa=record(Visa, await visa_values(session, visa.number)))

    return await serve(context, service, person_id, input, VisaCancelled, cancel)


async def cancel_exit_reentry_visa(info: Info, input: CancelExitReentryVisaArgument) -> VisaCancelled | Refusal:
    return await _cancel(info, input, EXIT_REENTRY, final_exit=False)


async def cancel_final_exit_visa(info: Info, input: CancelFinalExitVisaArgument) -> VisaCancelled | Refusal:
    return await _cancel(info, input, {VisaKind.FINAL_EXIT}, final_exit=True)


def fields() -> dict[str, StrawberryField]:
    cancelled = answer_or_refusal(
        "CancelVisaResult", VisaCancelled, "The cancelled visa, or every rule that blocks it."
    )
    return {
        "extend_exit_reentry_visa": strawberry.mutation(
            extend_exit_reentry_visa,
            graphql_type=answer_or_refusal(
                "ExtendExitReentryVisaResult",
                ExitReentryVisaExtended,
                "The extended visa, or every rule that blocks it.",
            ),
            description=(
                "Extend a resident's exit/re-entry visa (single or multiple) by up to 180 days, the resident abroad "
                "or not: by the sponsor (or a user acting for the sponsoring establishment) or a passports officer, no "
                "more than 60 days after the visa ended. Refused "
                "with every rule that blocks it (as eligibility(service: EXTEND_EXIT_REENTRY_VISA)), or "
                "IQAMA_TOO_SHORT when the iqama ends before the extended visa would."
            ),
        ),
        "cancel_exit_reentry_visa": strawberry.mutation(
            cancel_exit_reentry_visa,
            graphql_type=cancelled,
            description=(
                "Cancel a resident's unused exit/re-entry visa: by the sponsor (or a user acting for the sponsoring "
                "establishment) or a passports officer. Refused "
                "with every rule that blocks it (as eligibility(service: CANCEL_EXIT_REENTRY_VISA))."
            ),
        ),
        "cancel_final_exit_visa": strawberry.mutation(
            cancel_final_exit_visa,
            graphql_type=cancelled,
            description=(
                "Cancel a resident's unused final exit visa: by the resident, a sponsor who is a person (not an "
                "establishment's users) or a passports officer, "
                "while the iqama is valid. Refused with every rule that blocks it (as eligibility(service: "
                "CANCEL_FINAL_EXIT_VISA))."
            ),
        ),
    }
