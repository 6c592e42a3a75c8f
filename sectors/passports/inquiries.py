"""Public inquiries on Jawazat's records: anyone, signed in or not, may ask whether a visa is valid
(by its number and its holder's ID), when an iqama expires (by its number), and whether an
absconding report is open against an iqama number.

Minimal disclosure: a status and a date, never a name nor anything else of the record. A visa
asked with the wrong holder is NOT_FOUND exactly as a visa that does not exist, so the inquiry
cannot be used to learn whose a visa is. Each inquiry counts in the client's rate limit before it
reads, and what it read is audited for the person it is about (`SectorContext.inquired`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Annotated

import strawberry
from strawberry.types.field import StrawberryField

from hub.contract import (
    CalendarDate,
    Code,
    Info,
    PersonId,
    RabtError,
    ascii_digits,
    described_enum,
    parse_person_id,
    row_by,
)
from sectors.passports.models import AbscondingReportRow, IqamaRow, VisaRow

SECTOR = "passports"
MAX_VISA_DIGITS = 12


@dataclasses.dataclass
class _Visa:
    number: str
    person_id: str
    status: str
    valid_from: dt.date
    valid_until: dt.date


@dataclasses.dataclass
class _Iqama:
    number: str
    person_id: str
    status: str
    expires_on: dt.date


@dataclasses.dataclass
class _Report:
    person_id: str
    filed_on: dt.date


_visas, _iqamas, _reports = VisaRow.__table__, IqamaRow.__table__, AbscondingReportRow.__table__
visa_by_number = row_by(_Visa, _visas, "number", order_by=[_visas.c.number])
iqama_by_number = row_by(_Iqama, _iqamas, "number", order_by=[_iqamas.c.number])
open_report_by_person = row_by(
    _Report,
    _reports,
    "person_id",
    where=_reports.c.status == "open",
    order_by=[_reports.c.filed_on.desc(), _reports.c.reference],
)


@described_enum(
    "A visa's state as a public inquiry tells it.",
    {
        "VALID": "Issued and not used, and today is between its first and its last valid day.",
        "NOT_YET_VALID": "Issued, but its first valid day is still to come.",
        "EXPIRED": "Its last valid day passed before it was used.",
        "USED": "Its holder has travelled on it.",
        "CANCELLED": "Cancelled before it was used.",
        "NOT_FOUND": "The holder named has no visa with this number.",
    },
)
class VisaValidity(enum.Enum):
    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    USED = "used"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"


@described_enum(
    "An iqama's state as a public inquiry tells it.",
    {
        "VALID": "In force: its expiry date has not passed.",
        "EXPIRED": "Its expiry date has passed.",
        "CANCELLED": "No longer in force, whatever its expiry date.",
        "NOT_FOUND": "No iqama has this number.",
    },
)
class IqamaValidity(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"


@described_enum(
    "Whether an absconding (huroob) report is open against an iqama.",
    {
        "REPORTED": "An absconding report about the iqama's holder is open.",
        "NOT_REPORTED": "No absconding report about the iqama's holder is open.",
        "NOT_FOUND": "No iqama has this number.",
    },
)
class AbscondingStatus(enum.Enum):
    REPORTED = "reported"
    NOT_REPORTED = "not_reported"
    NOT_FOUND = "not_found"


@strawberry.type(description="A visa's validity: a status and its last day, nothing else of the visa or its holder.")
class VisaInquiry:
    status: VisaValidity = strawberry.field(
        description="Valid today, not yet valid, expired, used, cancelled, or NOT_FOUND (no such visa for this holder)."
    )
    valid_until: CalendarDate | None = strawberry.field(description="The visa's last valid day; null when NOT_FOUND.")


@strawberry.type(
    description="An iqama's validity: a status and its expiry date, nothing else of the iqama or its holder."
)
class IqamaInquiry:
    status: IqamaValidity = strawberry.field(description="Valid, expired, cancelled, or NOT_FOUND (no such iqama).")
    expires_on: CalendarDate | None = strawberry.field(description="The iqama's expiry date; null when NOT_FOUND.")


@strawberry.type(description="Whether an absconding report is open against an iqama: a status and a date only.")
class AbscondingInquiry:
    status: AbscondingStatus = strawberry.field(
        description="REPORTED (a report is open), NOT_REPORTED, or NOT_FOUND (no such iqama)."
    )
    filed_on: CalendarDate | None = strawberry.field(description="The day the open report was filed; null otherwise.")


VisaNumber = Annotated[
    strawberry.ID,
    strawberry.argument(description=f"The visa's number, as printed on it: 1 to {MAX_VISA_DIGITS} digits."),
]
IqamaNumber = Annotated[
    strawberry.ID, strawberry.argument(description="The iqama's number: ten digits, starting with 2.")
]


def parse_visa_number(text: str, argument: str) -> str:
    """A visa number as a client typed it (Eastern Arabic digits accepted), or INVALID_NUMBER."""
    digits = ascii_digits(text.strip())
    if not (digits.isascii() and digits.isdigit() and 1 <= len(digits) <= MAX_VISA_DIGITS):
        raise RabtError(
            Code.INVALID_NUMBER, f"{argument}: a visa number is 1 to {MAX_VISA_DIGITS} digits.", argument=argument
        )
    return digits


def parse_iqama_number(text: str, argument: str) -> str:
    """An iqama number (a resident's 10-digit ID, starting with 2), or INVALID_ID."""
    number = parse_person_id(text, argument)
    if not number.startswith("2"):
        raise RabtError(Code.INVALID_ID, f"{argument}: an iqama number starts with 2.", argument=argument)
    return number


def _date(value: dt.date | None) -> CalendarDate | None:
    return None if value is None else CalendarDate(gregorian=value)


async def visa_inquiry(info: Info, visa_number: VisaNumber, holder_id: PersonId) -> VisaInquiry:
    # Checked before counting: a malformed request reads nothing and costs the client nothing.
    number = parse_visa_number(visa_number, "visaNumber")
    holder = parse_person_id(holder_id, "holderId")
    context = info.context
    await context.inquire()
    visa: _Visa | None = await context.load(visa_by_number, number)
    if visa is None or visa.person_id != holder:
        return VisaInquiry(status=VisaValidity.NOT_FOUND, valid_until=None)
    context.inquired("visaInquiry", holder, SECTOR, frozenset({"visas.status", "visas.validUntil"}))
    today = context.today()
    if visa.status != "issued":
        status = VisaValidity(visa.status)
    elif today < visa.valid_from:
        status = VisaValidity.NOT_YET_VALID
    else:
        status = VisaValidity.VALID if today <= visa.valid_until else VisaValidity.EXPIRED
    return VisaInquiry(status=status, valid_until=_date(visa.valid_until))


async def iqama_inquiry(info: Info, iqama_number: IqamaNumber) -> IqamaInquiry:
    number = parse_iqama_number(iqama_number, "iqamaNumber")
    context = info.context
    await context.inquire()
    iqama: _Iqama | None = await context.load(iqama_by_number, number)
    if iqama is None:
        return IqamaInquiry(status=IqamaValidity.NOT_FOUND, expires_on=None)
    context.inquired("iqamaInquiry", iqama.person_id, SECTOR, frozenset({"iqama.status", "iqama.expiresOn"}))
    status = IqamaValidity(iqama.status)
    if status is IqamaValidity.VALID and iqama.expires_on < context.today():
        status = IqamaValidity.EXPIRED  # the row's status may lag its date by a day
    return IqamaInquiry(status=status, expires_on=_date(iqama.expires_on))


async def absconding_inquiry(info: Info, iqama_number: IqamaNumber) -> AbscondingInquiry:
    number = parse_iqama_number(iqama_number, "iqamaNumber")
    context = info.context
    await context.inquire()
    iqama: _Iqama | None = await context.load(iqama_by_number, number)
    if iqama is None:
        return AbscondingInquiry(status=AbscondingStatus.NOT_FOUND, filed_on=None)
    report: _Report | None = await context.load(open_report_by_person, iqama.person_id)
    context.inquired(
        "abscondingInquiry",
        iqama.person_id,
        SECTOR,
        frozenset({"abscondingReports.status", "abscondingReports.filedOn"}),
    )
    if report is None:
        return AbscondingInquiry(status=AbscondingStatus.NOT_REPORTED, filed_on=None)
    return AbscondingInquiry(status=AbscondingStatus.REPORTED, filed_on=_date(report.filed_on))


_WHO = (
    " Anyone may ask, without signing in (public inquiry); counted per client address (RATE_LIMITED past 30 in 10 "
    "minutes) and audited in the holder's access log."
)


def fields() -> dict[str, StrawberryField]:
    return {
        "visa_inquiry": strawberry.field(
            visa_inquiry,
            description=(
                "Is this visa valid? By the visa number and its holder's ID: a status and the last valid day, never "
                "a name. NOT_FOUND when no visa has this number for this holder. INVALID_NUMBER for a malformed "
                "visa number, INVALID_ID for a malformed holder ID." + _WHO
            ),
        ),
        "iqama_inquiry": strawberry.field(
            iqama_inquiry,
            description=(
                "When does this iqama expire? By its number: a status and the expiry date, never a name. "
                "INVALID_ID for a malformed iqama number (10 digits starting with 2, valid check digit)." + _WHO
            ),
        ),
        "absconding_inquiry": strawberry.field(
            absconding_inquiry,
            description=(
                "Is an absconding (huroob) report open against this iqama? By the iqama number: a status and the "
                "day the open report was filed, never a name nor who filed it. INVALID_ID for a malformed iqama "
                "number." + _WHO
            ),
        ),
    }
