"""Absconding (huroob, absent-from-work) reports: filed and cancelled by the worker's sponsor; the
worker sees each one among their own passports records."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

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
from sectors.passports.models import AbscondingReportRow, IqamaRow
from sectors.passports.services import CANCEL_ABSCONDING_REPORT, FILE_ABSCONDING_REPORT, open_report
from sectors.passports.types import AbscondingReport

_refusal = refusals(
    {
        "REPORT_CHANGED": (
            "The report changed while this request was decided; ask again.",
            "تغير البلاغ أثناء معالجة الطلب؛ أعد المحاولة.",
        ),
    }
)


@strawberry.input(description="An absconding report about a worker, by their sponsor.")
class AbscondingReportInput:
    person_id: strawberry.ID = strawberry.field(description="The worker's iqama number.")
    idempotency_key: str | None = idempotency_key()


FileAbscondingReportArgument = Annotated[
    AbscondingReportInput, strawberry.argument(description="The iqama number of the worker reported absent from work.")
]

CancelAbscondingReportArgument = Annotated[
    AbscondingReportInput,
    strawberry.argument(description="The iqama number of the worker whose open absconding report is cancelled."),
]


@strawberry.type(description="The absconding report was filed; the worker sees it in their passports records.")
class AbscondingReportFiled:
    report: AbscondingReport = strawberry.field(description="The new report, open.")


@strawberry.type(description="The absconding report was cancelled.")
class AbscondingReportCancelled:
    report: AbscondingReport = strawberry.field(description="The report, now cancelled.")


async def _report_values(session: AsyncSession, reference: str) -> dict[str, Any]:
    row = (
        await session.execute(select(AbscondingReportRow).where(AbscondingReportRow.reference == reference))
    ).scalar_one()
    return {column.key: getattr(row, column.key) for column in AbscondingReportRow.__table__.columns}


async def file_absconding_report(info: Info, input: FileAbscondingReportArgument) -> AbscondingReportFiled | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    context = info.context
    today = context.today()

    async def file(session: AsyncSession) -> AbscondingReportFiled:
        # Filed in the name of the sponsor the iqama names, whoever keys it in (the sponsor, or an officer).
        sponsor_id = (
            await session.execute(select(IqamaRow.sponsor_id).where(IqamaRow.number == person_id))
        ).scalar_one()
        values = await insert_new(
            session,
            AbscondingReportRow,
            dict(person_id=person_id, filed_by_id=sponsor_id, filed_on=today, status="open", cancelled_on=None),
            "reference",
            lambda: f"HR-{today.year}-{secrets.randbelow(10**8):08d}",
        )
        context.touches(sponsor_id)  # filed in their name, whoever keys it in
        context.notify(
            "passports",
            person_id,
            NoticeKind.ABSCONDING_REPORT,
            f"Your sponsor reported you absent from work (report {values['reference']}). Report to Jawazat "
            "within 20 days.",
            f"أبلغ كفيلك عن تغيبك عن العمل (بلاغ رقم {values['reference']}). راجع الجوازات خلال 20 يوماً.",
        )
        return AbscondingReportFiled(report=record(AbscondingReport, values))

    return await serve(context, FILE_ABSCONDING_REPORT, person_id, input, AbscondingReportFiled, file)


async def cancel_absconding_report(
    info: Info, input: CancelAbscondingReportArgument
) -> AbscondingReportCancelled | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    context = info.context
    today = context.today()

    async def cancel(session: AsyncSession) -> AbscondingReportCancelled | Refusal:
        report = await open_report(context, person_id)
        if report is None:
            return _refusal("REPORT_CHANGED")
        changed = await updated(
            session,
            update(AbscondingReportRow)
            .where(AbscondingReportRow.reference == report.reference, AbscondingReportRow.status == "open")
            .values(status="cancelled", cancelled_on=today),
        )
        if changed != 1:
            return _refusal("REPORT_CHANGED")
        context.touches(report.filed_by_id)
        context.notify(
            "passports",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"The absconding report {report.reference} about you was cancelled.",
            f"أُلغي بلاغ التغيب رقم {report.reference} المقدم عنك.",
        )
        return AbscondingReportCancelled(
            report=record(AbscondingReport, await _report_values(session, report.reference))
        )

    return await serve(context, CANCEL_ABSCONDING_REPORT, person_id, input, AbscondingReportCancelled, cancel)


def fields() -> dict[str, StrawberryField]:
    return {
        "file_absconding_report": strawberry.mutation(
            file_absconding_report,
            graphql_type=answer_or_refusal(
                "FileAbscondingReportResult", AbscondingReportFiled, "The new report, or every rule that blocks it."
            ),
            description=(
                "Report a worker absent from work (huroob): by their sponsor (or a user acting for the sponsoring "
                "establishment, or a passports officer, in the sponsor's name), once per worker. The worker sees the "
                "report in their passports records. Refused with every rule that blocks it (as eligibility(service: "
                "FILE_ABSCONDING_REPORT))."
            ),
        ),
        "cancel_absconding_report": strawberry.mutation(
            cancel_absconding_report,
            graphql_type=answer_or_refusal(
                "CancelAbscondingReportResult",
                AbscondingReportCancelled,
                "The cancelled report, or every rule that blocks it.",
            ),
            description=(
                "Cancel a worker's open absconding report: by their sponsor (or a user acting for the sponsoring "
                "establishment) or a passports officer, within 15 days of filing it. Refused with every rule that "
                "blocks it (as eligibility(service: CANCEL_ABSCONDING_REPORT))."
            ),
        ),
    }
