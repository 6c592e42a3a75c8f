"""Civil defence's mutations. Each checks its rules and writes in one transaction, or refuses."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any

import strawberry
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    ActingAs,
    Code,
    Info,
    NoticeKind,
    RabtError,
    Refusal,
    answer_or_refusal,
    blocked,
    idempotency_key,
    insert_new,
    parse_person_id,
    record,
    refusals,
    serve,
    updated,
    values_of,
    years_after,
)
from sectors.civil_defence.models import IncidentReportRow, SafetyPermitRow
from sectors.civil_defence.services import APPLY_SAFETY_PERMIT, RENEW_SAFETY_PERMIT, RULES
from sectors.civil_defence.types import EstablishmentKind, IncidentKind, IncidentReport, SafetyPermit

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


ReportIncidentArgument = Annotated[
    ReportIncidentInput,
    strawberry.argument(
        description="The reporting person's ID, what kind of emergency it is, where it happens and what is happening."
    ),
]


@strawberry.type(description="The incident was reported; civil defence will dispatch a team.")
class IncidentReported:
    report: IncidentReport = strawberry.field(description="The new report, open, with its reference.")


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


async def report_incident(info: Info, input: ReportIncidentArgument) -> IncidentReported | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    city = _text(input.city, "input.city", CITY_LIMIT)
    district = _text(input.district, "input.district", DISTRICT_LIMIT)
    description = _text(input.description, "input.description", DESCRIPTION_LIMIT)
    context = info.context
    await context.require_write(person_id, "civil_defence", allow=frozenset({ActingAs.SELF}))
    today = context.today()

    async def report(session: AsyncSession) -> IncidentReported | Refusal:
        # Reports still being handled count: a burst of false reports would tie up dispatch.
        counted = select(func.count()).where(
            IncidentReportRow.person_id == person_id, IncidentReportRow.status.in_(UNCLOSED)
        )
        unclosed: int = (await session.execute(counted)).scalar_one()  # a count: a row, never NULL
        if unclosed >= MAX_OPEN_REPORTS:
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


NAME_LIMIT = 80
PERMIT_YEARS = 1
INSTANT = frozenset({EstablishmentKind.RETAIL, EstablishmentKind.OFFICE})
"""Low-risk activities get their permit at once (Salamah's instant licences); the others after an inspection."""


@strawberry.input(description="Apply for an establishment's safety permit (Salamah licence).")
class ApplySafetyPermitInput:
    person_id: strawberry.ID = strawberry.field(description="The owner's national ID or iqama number.")
    establishment_name_ar: str = strawberry.field(description=f"Its name in Arabic: 1 to {NAME_LIMIT} characters.")
    establishment_name_en: str = strawberry.field(description=f"Its name in English: 1 to {NAME_LIMIT} characters.")
    establishment_kind: EstablishmentKind = strawberry.field(description="What the establishment does.")
    city: str = strawberry.field(description=f"The city where the establishment is: 1 to {CITY_LIMIT} characters.")
    idempotency_key: str | None = idempotency_key()


ApplySafetyPermitArgument = Annotated[
    ApplySafetyPermitInput,
    strawberry.argument(description="The owner's ID and the establishment's names, kind and city."),
]


@strawberry.type(description="The permit was issued (retail, office) or awaits civil defence's inspection (others).")
class SafetyPermitApplied:
    permit: SafetyPermit = strawberry.field(description="The new permit: valid for a year, or pending.")


async def apply_safety_permit(info: Info, input: ApplySafetyPermitArgument) -> SafetyPermitApplied | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    values: dict[str, Any] = dict(
        owner_id=person_id,
        establishment_name_ar=_text(input.establishment_name_ar, "input.establishmentNameAr", NAME_LIMIT),
        establishment_name_en=_text(input.establishment_name_en, "input.establishmentNameEn", NAME_LIMIT),
        establishment_kind=input.establishment_kind.value,
        city=_text(input.city, "input.city", CITY_LIMIT),
    )
    today = info.context.today()
    instant = input.establishment_kind in INSTANT
    values |= dict(
        issued_on=today,
        expires_on=years_after(today, PERMIT_YEARS),
        status="valid" if instant else "pending",
    )

    async def apply(session: AsyncSession) -> SafetyPermitApplied:
        drawn = await insert_new(
            session, SafetyPermitRow, values, "number", lambda: f"SL{today:%y}{secrets.randbelow(10**8):08d}"
        )
        issued = drawn["status"] == "valid"
        info.context.notify(
            "civil_defence",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Safety permit {drawn['number']} " + ("is issued." if issued else "awaits civil defence's inspection."),
            f"رخصة السلامة رقم {drawn['number']} " + ("صدرت." if issued else "بانتظار معاينة الدفاع المدني."),
        )
        return SafetyPermitApplied(permit=record(SafetyPermit, drawn))

    return await serve(info.context, APPLY_SAFETY_PERMIT, person_id, input, SafetyPermitApplied, apply)


@strawberry.input(description="Renew an establishment's safety permit for a year.")
class RenewSafetyPermitInput:
    person_id: strawberry.ID = strawberry.field(description="The owner's national ID or iqama number.")
    number: str = strawberry.field(description="The permit's number: SL then 10 digits.")
    idempotency_key: str | None = idempotency_key()


RenewSafetyPermitArgument = Annotated[
    RenewSafetyPermitInput, strawberry.argument(description="The owner's ID and the number of the permit to renew.")
]


@strawberry.type(description="The safety permit was renewed for a year.")
class SafetyPermitRenewed:
    permit: SafetyPermit = strawberry.field(description="The permit, with its new expiry.")


async def renew_safety_permit(info: Info, input: RenewSafetyPermitArgument) -> SafetyPermitRenewed | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    number = RENEW_SAFETY_PERMIT.item_key(input.number, "input.number")
    today = info.context.today()

    async def renew(session: AsyncSession) -> SafetyPermitRenewed | Refusal:
        permit = (await session.execute(select(SafetyPermitRow).where(SafetyPermitRow.number == number))).scalar_one()
        changes: dict[str, dt.date | str] = {
            "issued_on": today,
            "expires_on": years_after(max(today, permit.expires_on), PERMIT_YEARS),
            "status": "valid",
        }
        # Conditional on what the rules saw: a permit suspended or sold meanwhile is not renewed.
        renewed = await updated(
            session,
            update(SafetyPermitRow)
            .where(
                SafetyPermitRow.number == number,
                SafetyPermitRow.owner_id == person_id,
                SafetyPermitRow.status.in_(("valid", "expired")),
            )
            .values(changes),
        )
        if renewed != 1:
            return blocked([RULES("PERMIT_NOT_FOUND")])
        info.context.notify(
            "civil_defence",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Safety permit {number} was renewed until {changes['expires_on']}.",
            f"جُددت رخصة السلامة رقم {number} حتى {changes['expires_on']}.",
        )
        return SafetyPermitRenewed(permit=record(SafetyPermit, values_of(permit) | changes))

    return await serve(info.context, RENEW_SAFETY_PERMIT, person_id, input, SafetyPermitRenewed, renew, number)


def fields() -> dict[str, StrawberryField]:
    return {
        "report_incident": strawberry.mutation(
            report_incident,
            graphql_type=answer_or_refusal(
                "ReportIncidentResult", IncidentReported, "The new incident report, or why it was not filed."
            ),
            description=(
                "File an incident report with civil defence: by the reporting person themself or a civil defence "
                f"officer. Refused (TOO_MANY_OPEN_REPORTS) when the person already has {MAX_OPEN_REPORTS} reports "
                "that are open or dispatched."
            ),
        ),
        "apply_safety_permit": strawberry.mutation(
            apply_safety_permit,
            graphql_type=answer_or_refusal(
                "ApplySafetyPermitResult", SafetyPermitApplied, "The new permit, or every rule that blocks it."
            ),
            description=(
                "Apply for an establishment's safety permit (Salamah licence): by the owner or a civil defence "
                "officer. A retail shop or an office gets it at once, valid for a year; the others are pending "
                "until inspected. Refused with every rule that blocks it (as eligibility(service: "
                "APPLY_SAFETY_PERMIT))."
            ),
        ),
        "renew_safety_permit": strawberry.mutation(
            renew_safety_permit,
            graphql_type=answer_or_refusal(
                "RenewSafetyPermitResult", SafetyPermitRenewed, "The renewed permit, or every rule that blocks it."
            ),
            description=(
                "Renew a safety permit for a year (from its expiry, or today once expired): by the owner or a civil "
                "defence officer, from 90 days before it expires. Refused with every rule that blocks it (as "
                "eligibility(service: RENEW_SAFETY_PERMIT, item: the permit's number))."
            ),
        ),
    }
