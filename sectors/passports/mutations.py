"""Passports' mutations. Each checks its rules and writes in one transaction, or refuses."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Annotated

import strawberry
from sqlalchemy import func, select
from strawberry.types.field import StrawberryField

from hub.contract import ActingAs, Code, Info, RabtError, Refusal, insert_new, parse_person_id, record, refusals
from sectors.passports.models import AbscondingReportRow, IqamaRow, VisaRow
from sectors.passports.types import Visa


@strawberry.enum(description="Single or multiple exit/re-entry.")
class ExitReentryKind(enum.Enum):
    SINGLE = "exit_reentry_single"
    MULTIPLE = "exit_reentry_multiple"


@strawberry.input(description="Issue an exit/re-entry visa for a resident.")
class IssueExitReentryVisaInput:
    person_id: strawberry.ID = strawberry.field(description="The resident's iqama number.")
    kind: ExitReentryKind = strawberry.field(description="Single or multiple.")
    days: int = strawberry.field(description="Days the resident may stay abroad: 1 to 180.")


@strawberry.type(description="The exit/re-entry visa was issued.")
class ExitReentryVisaIssued:
    visa: Visa = strawberry.field(description="The new visa.")


IssueExitReentryVisaResult = Annotated[
    ExitReentryVisaIssued | Refusal,
    strawberry.union("IssueExitReentryVisaResult", description="The visa, or why it was not issued."),
]

_refusal = refusals(
    {
        "NOT_A_RESIDENT": ("This person holds no iqama.", "لا توجد إقامة لهذا الشخص."),
        "IQAMA_NOT_VALID": ("The iqama is not valid; renew it first.", "الإقامة غير سارية، يجب تجديدها أولاً."),
        "IQAMA_TOO_SHORT": ("The iqama expires before the visa would end.", "تنتهي الإقامة قبل انتهاء التأشيرة."),
        "ABSCONDING_REPORT_OPEN": (
            "An absconding report is open for this person.",
            "يوجد بلاغ تغيب مفتوح عن هذا الشخص.",
        ),
        "VISA_ALREADY_ISSUED": (
            "An exit/re-entry visa is already issued and unused.",
            "توجد تأشيرة خروج وعودة صادرة لم تستخدم.",
        ),
    }
)


async def issue_exit_reentry_visa(info: Info, input: IssueExitReentryVisaInput) -> IssueExitReentryVisaResult:
    person_id = parse_person_id(input.person_id, "input.personId")
    if not 1 <= input.days <= 180:
        raise RabtError(Code.BAD_USER_INPUT, "input.days: between 1 and 180.", argument="input.days")
    context = info.context
    await context.require_write(person_id, "passports", allow=frozenset({ActingAs.SPONSOR}))
    today = context.today()
    async with context.transaction() as session:
        iqama = (
            await session.execute(
                select(IqamaRow.expires_on, IqamaRow.status, IqamaRow.sponsor_id)
                .where(IqamaRow.person_id == person_id)
                .order_by(IqamaRow.issued_on.desc())
                .limit(1)
            )
        ).first()
        if iqama is None:
            return _refusal("NOT_A_RESIDENT")
        if iqama.status != "valid" or iqama.expires_on < today:
            return _refusal("IQAMA_NOT_VALID")
        if iqama.expires_on < today + dt.timedelta(days=input.days):
            return _refusal("IQAMA_TOO_SHORT")
        open_reports = await session.scalar(
            select(func.count()).where(AbscondingReportRow.person_id == person_id, AbscondingReportRow.status == "open")
        )
        if open_reports:
            return _refusal("ABSCONDING_REPORT_OPEN")
        unused = await session.scalar(
            select(func.count()).where(
                VisaRow.person_id == person_id,
                VisaRow.kind.in_([kind.value for kind in ExitReentryKind]),
                VisaRow.status == "issued",
                VisaRow.valid_until >= today,
            )
        )
        if unused:
            return _refusal("VISA_ALREADY_ISSUED")
        values = await insert_new(
            session,
            VisaRow,
            dict(
                person_id=person_id,
                sponsor_id=iqama.sponsor_id,
                kind=input.kind.value,
                status="issued",
                issued_on=today,
                valid_from=today,
                valid_until=today + dt.timedelta(days=input.days),
                allowed_days=input.days,
            ),
            "number",
            lambda: f"6{secrets.randbelow(10**9):09d}",
        )
    context.forget_loaded()
    return ExitReentryVisaIssued(visa=record(Visa, values))


def fields() -> dict[str, StrawberryField]:
    return {
        "issue_exit_reentry_visa": strawberry.mutation(
            resolver=issue_exit_reentry_visa,
            description=(
                "Issue an exit/re-entry visa for a resident: by their sponsor or a passports officer. "
                "Refused when the iqama is not valid for the whole stay, an absconding report is open, "
                "or an unused exit/re-entry visa exists."
            ),
        ),
    }
