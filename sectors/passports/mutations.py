"""Passports' mutations. Each checks its rules and writes in one transaction, or refuses."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Annotated, Any

import strawberry
from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    Code,
    Info,
    NoticeKind,
    RabtError,
    Refusal,
    answer_or_refusal,
    described_enum,
    idempotency_key,
    insert_new,
    parse_person_id,
    record,
    refusals,
    serve,
    updated,
)
from sectors.passports.models import IqamaRow, VisaRow
from sectors.passports.services import ISSUE_EXIT_REENTRY_VISA, ISSUE_FINAL_EXIT_VISA, RENEW_IQAMA
from sectors.passports.types import Iqama, Visa
from sectors.passports.workflows import absconding, passport, transfer, visas


@described_enum(
    "Single or multiple exit/re-entry.",
    {
        "SINGLE": "One trip: the resident leaves the Kingdom and comes back once.",
        "MULTIPLE": "Any number of trips out of the Kingdom and back while the visa is valid.",
    },
)
class ExitReentryKind(enum.Enum):
    SINGLE = "exit_reentry_single"
    MULTIPLE = "exit_reentry_multiple"


@strawberry.input(description="Issue an exit/re-entry visa for a resident.")
class IssueExitReentryVisaInput:
    person_id: strawberry.ID = strawberry.field(description="The resident's iqama number.")
    kind: ExitReentryKind = strawberry.field(description="Single or multiple.")
    days: int = strawberry.field(description="Days the resident may stay abroad: 1 to 180.")
    idempotency_key: str | None = idempotency_key()


IssueExitReentryVisaArgument = Annotated[
    IssueExitReentryVisaInput,
    strawberry.argument(
        description="The resident's iqama number, single or multiple, and the days they may stay abroad."
    ),
]


@strawberry.type(description="The exit/re-entry visa was issued.")
class ExitReentryVisaIssued:
    visa: Visa = strawberry.field(description="The new visa.")


_refusal = refusals(
    {
        "IQAMA_TOO_SHORT": ("The iqama expires before the visa would end.", "تنتهي الإقامة قبل انتهاء التأشيرة."),
        "IQAMA_CHANGED": (
            "The iqama changed while this request was decided; ask again.",
            "تغيرت الإقامة أثناء معالجة الطلب؛ أعد المحاولة.",
        ),
    }
)


async def _current_iqama(session: AsyncSession, person_id: str) -> Row[str, dt.date, str]:
    return (
        await session.execute(
            select(IqamaRow.number, IqamaRow.expires_on, IqamaRow.sponsor_id)
            .where(IqamaRow.person_id == person_id)
            .order_by(IqamaRow.issued_on.desc())
            .limit(1)
        )
    ).one()


async def _issue_visa(
    session: AsyncSession, person_id: str, sponsor_id: str, kind: str, days: int, today: dt.date
) -> dict[str, Any]:
    return await insert_new(
        session,
        VisaRow,
        dict(
            person_id=person_id,
            sponsor_id=sponsor_id,
            kind=kind,
            status="issued",
            issued_on=today,
            valid_from=today,
            valid_until=today + dt.timedelta(days=days),
            allowed_days=days,
        ),
        "number",
        lambda: f"6{secrets.randbelow(10**9):09d}",
    )


async def issue_exit_reentry_visa(info: Info, input: IssueExitReentryVisaArgument) -> ExitReentryVisaIssued | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    if not 1 <= input.days <= 180:
        raise RabtError(Code.BAD_USER_INPUT, "input.days: between 1 and 180.", argument="input.days")
    today = info.context.today()

    async def issue(session: AsyncSession) -> ExitReentryVisaIssued | Refusal:
        iqama = await _current_iqama(session, person_id)
        if iqama.expires_on < today + dt.timedelta(days=input.days):
            return _refusal("IQAMA_TOO_SHORT")
        values = await _issue_visa(session, person_id, iqama.sponsor_id, input.kind.value, input.days, today)
        until = values["valid_until"].isoformat()
        info.context.notify(
            "passports",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"An exit/re-entry visa {values['number']} was issued for you, valid until {until}.",
            f"صدرت لك تأشيرة خروج وعودة رقم {values['number']}، صالحة حتى {until}.",
        )
        return ExitReentryVisaIssued(visa=record(Visa, values))

    return await serve(info.context, ISSUE_EXIT_REENTRY_VISA, person_id, input, ExitReentryVisaIssued, issue)


@strawberry.input(description="Renew a resident's iqama for a year.")
class RenewIqamaInput:
    person_id: strawberry.ID = strawberry.field(description="The resident's iqama number.")
    idempotency_key: str | None = idempotency_key()


RenewIqamaArgument = Annotated[
    RenewIqamaInput, strawberry.argument(description="The iqama number of the resident whose iqama is renewed.")
]


@strawberry.type(description="The iqama was renewed.")
class IqamaRenewed:
    iqama: Iqama = strawberry.field(description="The iqama, valid for a year more.")


async def renew_iqama(info: Info, input: RenewIqamaArgument) -> IqamaRenewed | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    today = info.context.today()

    async def renew(session: AsyncSession) -> IqamaRenewed | Refusal:
        iqama = await _current_iqama(session, person_id)
        start = max(today, iqama.expires_on)
        changes = {"expires_on": start + dt.timedelta(days=365), "status": "valid"}
        # Conditional on what the rules saw: an iqama cancelled meanwhile stays cancelled, and is
        # neither answered nor announced as renewed.
        changed = await updated(
            session,
            update(IqamaRow).where(IqamaRow.number == iqama.number, IqamaRow.status != "cancelled").values(changes),
        )
        if changed != 1:
            return _refusal("IQAMA_CHANGED")
        row = (await session.execute(select(IqamaRow).where(IqamaRow.number == iqama.number))).scalar_one()
        values = {column.key: getattr(row, column.key) for column in IqamaRow.__table__.columns}
        until = row.expires_on.isoformat()
        info.context.notify(
            "passports",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Your iqama {row.number} was renewed until {until}.",
            f"جُددت إقامتك رقم {row.number} حتى {until}.",
        )
        return IqamaRenewed(iqama=record(Iqama, values))

    return await serve(info.context, RENEW_IQAMA, person_id, input, IqamaRenewed, renew)


@strawberry.input(description="Issue a final exit visa for a resident leaving the Kingdom for good.")
class IssueFinalExitVisaInput:
    person_id: strawberry.ID = strawberry.field(description="The resident's iqama number.")
    idempotency_key: str | None = idempotency_key()


IssueFinalExitVisaArgument = Annotated[
    IssueFinalExitVisaInput,
    strawberry.argument(description="The iqama number of the resident leaving the Kingdom for good."),
]


@strawberry.type(description="The final exit visa was issued; it is valid for 60 days.")
class FinalExitVisaIssued:
    visa: Visa = strawberry.field(description="The new final exit visa.")


FINAL_EXIT_DAYS = 60


async def issue_final_exit_visa(info: Info, input: IssueFinalExitVisaArgument) -> FinalExitVisaIssued | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    today = info.context.today()

    async def issue(session: AsyncSession) -> FinalExitVisaIssued:
        iqama = await _current_iqama(session, person_id)
        values = await _issue_visa(session, person_id, iqama.sponsor_id, "final_exit", FINAL_EXIT_DAYS, today)
        until = values["valid_until"].isoformat()
        info.context.notify(
            "passports",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"A final exit visa {values['number']} was issued for you; leave the Kingdom by {until}.",
            f"صدرت لك تأشيرة خروج نهائي رقم {values['number']}؛ غادر المملكة قبل {until}.",
        )
        return FinalExitVisaIssued(visa=record(Visa, values))

    return await serve(info.context, ISSUE_FINAL_EXIT_VISA, person_id, input, FinalExitVisaIssued, issue)


def fields() -> dict[str, StrawberryField]:
    return {
        **_issuing(),
        **visas.fields(),
        **absconding.fields(),
        **passport.fields(),
        **transfer.fields(),
    }


def _issuing() -> dict[str, StrawberryField]:
    return {
        "issue_exit_reentry_visa": strawberry.mutation(
            issue_exit_reentry_visa,
            graphql_type=answer_or_refusal(
                "IssueExitReentryVisaResult", ExitReentryVisaIssued, "The visa, or why it was not issued."
            ),
            description=(
                "Issue an exit/re-entry visa for a resident: by their sponsor (or a user acting for the "
                "establishment that sponsors them) or a passports officer. Refused with every rule that blocks it "
                "(as eligibility(service: ISSUE_EXIT_REENTRY_VISA): no valid iqama or passport, an open absconding "
                "report, an unused exit/re-entry visa), or IQAMA_TOO_SHORT when the iqama ends before the stay "
                "would."
            ),
        ),
        "renew_iqama": strawberry.mutation(
            renew_iqama,
            graphql_type=answer_or_refusal(
                "RenewIqamaResult", IqamaRenewed, "The renewed iqama, or every rule that blocks it."
            ),
            description=(
                "Renew an iqama for a year (from its expiry, or today once expired): by the resident, the sponsor "
                "(or a user acting for the sponsoring establishment) or a passports officer. Refused with every rule "
                "that blocks it (as eligibility(service: RENEW_IQAMA)), traffic's unpaid violations included."
            ),
        ),
        "issue_final_exit_visa": strawberry.mutation(
            issue_final_exit_visa,
            graphql_type=answer_or_refusal(
                "IssueFinalExitVisaResult", FinalExitVisaIssued, "The visa, or every rule that blocks it."
            ),
            description=(
                "Issue a final exit visa, valid 60 days: by the resident, the sponsor (or a user acting for the "
                "sponsoring establishment) or a passports officer. Refused with every rule that blocks it (as "
                "eligibility(service: ISSUE_FINAL_EXIT_VISA)): unpaid traffic violations of the person or of anyone "
                "they sponsor block it."
            ),
        ),
    }
