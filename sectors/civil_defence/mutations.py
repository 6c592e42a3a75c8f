"""Civil defence's mutations. Each checks its rules and writes in one transaction, or refuses."""

from __future__ import annotations

import secrets
from typing import Annotated

import strawberry
from sqlalchemy import func, select
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
    insert_new,
    parse_person_id,
    record,
    refusals,
)
from sectors.civil_defence.models import IncidentReportRow
from sectors.civil_defence.types import IncidentKind, IncidentReport

MAX_OPEN_REPORTS = 3
UNCLOSED = ("open", "dispatched")
# Limits match the column sizes, so input that passes always fits.
CITY_LIMIT = 40
DISTRICT_LIMIT = 60
DESCRIPTION_LIMIT = 500


@strawberry.input(description="Report an emergency to civil defence.")
class ReportIncidentInput:
    person_id: strawberry.ID = strawberry.field(description="The reporting person's 10-digit ID.")
    kind: IncidentKind = strawberry.field(description="What kind of emergency it is.")
    city: str = strawberry.field(description=f"The city where it happens: 1 to {CITY_LIMIT} characters.")
    district: str = strawberry.field(description=f"The district (neighbourhood): 1 to {DISTRICT_LIMIT} characters.")
    description: str = strawberry.field(
        description=f"What is happening, in the reporter's words: 1 to {DESCRIPTION_LIMIT} characters."
    )
    idempotency_key: str | None = idempotency_key()


@strawberry.type(description="The incident was reported; civil defence will dispatch a team.")
class IncidentReported:
    report: IncidentReport = strawberry.field(description="The new report, open, with its reference.")


ReportIncidentResult = Annotated[
    IncidentReported | Refusal,
    strawberry.union("ReportIncidentResult", description="The new incident report, or why it was not filed."),
]

_refusal = refusals(
    {
        "TOO_MANY_OPEN_REPORTS": (
            f"This person already has {MAX_OPEN_REPORTS} reports that are not closed; call 998 for an emergency.",
            f"لدى هذا الشخص {MAX_OPEN_REPORTS} بلاغات غير مغلقة؛ اتصل بالرقم 998 في حالات الطوارئ.",
        ),
    }
)


def _text(value: str, argument: str, limit: int) -> str:
    text = value.strip()
    if not 1 <= len(text) <= limit:
        raise RabtError(Code.BAD_USER_INPUT, f"{argument}: 1 to {limit} characters.", argument=argument)
    return text


async def report_incident(info: Info, input: ReportIncidentInput) -> ReportIncidentResult:
    person_id = parse_person_id(input.person_id, "input.personId")
    city = _text(input.city, "input.city", CITY_LIMIT)
    district = _text(input.district, "input.district", DISTRICT_LIMIT)
    description = _text(input.description, "input.description", DESCRIPTION_LIMIT)
    context = info.context
    await context.require_write(person_id, "civil_defence", allow=frozenset({ActingAs.SELF}))
    today = context.today()

    async def report(session: AsyncSession) -> IncidentReported | Refusal:
        # Reports still being handled count: a burst of false reports would tie up dispatch.
        unclosed = await session.scalar(
            select(func.count()).where(IncidentReportRow.person_id == person_id, IncidentReportRow.status.in_(UNCLOSED))
        )
        if (unclosed or 0) >= MAX_OPEN_REPORTS:
            return _refusal("TOO_MANY_OPEN_REPORTS")
        values = await insert_new(
            session,
            IncidentReportRow,
            dict(
                person_id=person_id,
                kind=input.kind.value,
                city=city,
                district=district,
                description=description,
                reported_on=today,
                status="open",
            ),
            "reference",
            lambda: f"CD-{today:%Y%m%d}-{secrets.randbelow(10**8):08d}",
        )
        info.context.notify(
            "civil_defence",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Your incident report {values['reference']} was received.",
            f"استُلم بلاغك رقم {values['reference']}.",
        )
        return IncidentReported(report=record(IncidentReport, values))

    return await context.once(input, IncidentReported, report)


def fields() -> dict[str, StrawberryField]:
    return {
        "report_incident": strawberry.mutation(
            report_incident,
            description=(
                "File an incident report with civil defence: by the reporting person themself or a civil defence "
                f"officer. Refused (TOO_MANY_OPEN_REPORTS) when the person already has {MAX_OPEN_REPORTS} reports "
                "that are open or dispatched."
            ),
        ),
    }
