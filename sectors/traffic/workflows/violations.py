"""Traffic violations: recorded against a driver by an officer (or a camera's service), objected to
within 30 days or paid by the violator."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated

import strawberry
from sqlalchemy import select, update
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
    ascii_digits,
    idempotency_key,
    insert_new,
    parse_person_id,
    record,
    refusals,
    updated,
)
from sectors.traffic.models import ViolationRow
from sectors.traffic.types import Violation, ViolationKind

OBJECTION_WINDOW = dt.timedelta(days=30)
REASON_MAX = 500


@strawberry.input(description="Object to a traffic violation: the violator's ID, the violation and why.")
class ObjectToTrafficViolationInput:
    person_id: strawberry.ID = strawberry.field(description="The violator's national ID or iqama number.")
    violation_number: str = strawberry.field(description="The violation's number.")
    reason: str = strawberry.field(description="Why the violator objects, in their own words: 1 to 500 characters.")
    idempotency_key: str | None = idempotency_key()


ObjectToTrafficViolationArgument = Annotated[
    ObjectToTrafficViolationInput,
    strawberry.argument(description="The violator's ID, the violation's number, and why they object."),
]


@strawberry.type(description="The objection was filed; the fine is on hold until it is decided.")
class TrafficViolationObjected:
    violation: Violation = strawberry.field(description="The violation, now objected.")


_refusal = refusals(
    {
        "VIOLATION_NOT_FOUND": (
            "This person has no violation with that number.",
            "لا توجد مخالفة بهذا الرقم لهذا الشخص.",
        ),
        "VIOLATION_NOT_UNPAID": (
            "Only an unpaid violation can be objected to or paid; this one is paid or objected.",
            "لا يمكن الاعتراض أو السداد إلا لمخالفة غير مسددة، وهذه المخالفة مسددة أو معترض عليها.",
        ),
        "OBJECTION_WINDOW_CLOSED": (
            "An objection must be filed within 30 days of the violation.",
            "يجب تقديم الاعتراض خلال 30 يوماً من تاريخ المخالفة.",
        ),
    }
)


def _violation_number(text: str) -> str:
    number = ascii_digits(text.strip())
    if not (number.isascii() and number.isdigit() and len(number) <= 10):
        raise RabtError(
            Code.BAD_USER_INPUT, "input.violationNumber: up to 10 digits.", argument="input.violationNumber"
        )
    return number


def _reason(text: str) -> str:
    reason = text.strip()
    if not 1 <= len(reason) <= REASON_MAX:
        raise RabtError(Code.BAD_USER_INPUT, f"input.reason: 1 to {REASON_MAX} characters.", argument="input.reason")
    return reason


async def object_to_traffic_violation(
    info: Info, input: ObjectToTrafficViolationArgument
) -> TrafficViolationObjected | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    number = _violation_number(input.violation_number)
    reason = _reason(input.reason)
    context = info.context
    await context.require_write(person_id, "traffic", allow=frozenset({ActingAs.SELF}))
    today = context.today()

    async def object_to(session: AsyncSession) -> TrafficViolationObjected | Refusal:
        # Matching the person too: a caller may not learn whether someone else's violation exists.
        violation = (
            await session.execute(
                select(ViolationRow).where(ViolationRow.number == number, ViolationRow.person_id == person_id)
            )
        ).scalar_one_or_none()
        if violation is None:
            return _refusal("VIOLATION_NOT_FOUND")
        if violation.status != "unpaid":
            return _refusal("VIOLATION_NOT_UNPAID")
        if today > violation.committed_on + OBJECTION_WINDOW:
            return _refusal("OBJECTION_WINDOW_CLOSED")
        changes = {"status": "objected", "objected_on": today, "objection_reason": reason}
        # Conditional, so that of two concurrent objections only one writes (on SQLite too, where the
        # SELECT above runs before the transaction takes its write lock).
        objected = await updated(
            session,
            update(ViolationRow).where(ViolationRow.number == number, ViolationRow.status == "unpaid").values(changes),
        )
        if objected != 1:
            return _refusal("VIOLATION_NOT_UNPAID")
        info.context.notify(
            "traffic",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Your objection to violation {number} was filed; the violation is on hold while it is reviewed.",
            f"قُدّم اعتراضك على المخالفة رقم {number}؛ المخالفة معلقة حتى تتم دراسته.",
        )
        return TrafficViolationObjected(violation=record(Violation, {**vars(violation), **changes}))

    return await context.once(input, TrafficViolationObjected, object_to)


@strawberry.input(description="Pay a traffic violation's fine.")
class PayTrafficViolationInput:
    person_id: strawberry.ID = strawberry.field(description="The violator's national ID or iqama number.")
    violation_number: str = strawberry.field(description="The violation's number.")
    idempotency_key: str | None = idempotency_key()


PayTrafficViolationArgument = Annotated[
    PayTrafficViolationInput,
    strawberry.argument(description="The violator's ID and the number of the violation whose fine is paid."),
]


@strawberry.type(description="The fine was paid.")
class TrafficViolationPaid:
    violation: Violation = strawberry.field(description="The violation, now paid.")


async def pay_traffic_violation(info: Info, input: PayTrafficViolationArgument) -> TrafficViolationPaid | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    number = _violation_number(input.violation_number)
    context = info.context
    await context.require_write(person_id, "traffic", allow=frozenset({ActingAs.SELF}))

    async def pay(session: AsyncSession) -> TrafficViolationPaid | Refusal:
        violation = (
            await session.execute(
                select(ViolationRow).where(ViolationRow.number == number, ViolationRow.person_id == person_id)
            )
        ).scalar_one_or_none()
        if violation is None:
            return _refusal("VIOLATION_NOT_FOUND")
        paid = await updated(
            session,
            update(ViolationRow)
            .where(ViolationRow.number == number, ViolationRow.status == "unpaid")
            .values(status="paid"),
        )
        if paid != 1:
            return _refusal("VIOLATION_NOT_UNPAID")
        info.context.notify(
            "traffic",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"The fine of violation {number} was paid.",
            f"سُددت غرامة المخالفة رقم {number}.",
        )
        return TrafficViolationPaid(violation=record(Violation, {**vars(violation), "status": "paid"}))

    return await context.once(input, TrafficViolationPaid, pay)


@strawberry.input(description="Record a traffic violation against a person (a traffic officer, or a camera's service).")
class RecordTrafficViolationInput:
    person_id: strawberry.ID = strawberry.field(description="The violator's national ID or iqama number.")
    kind: ViolationKind = strawberry.field(description="What the violation was.")
    city_en: str = strawberry.field(description="Where, in English: 1 to 30 characters.")
    city_ar: str = strawberry.field(description="Where, in Arabic: 1 to 30 characters.")
    fine_sar: int = strawberry.field(description="The fine in whole riyals: 1 to 20,000.")
    idempotency_key: str | None = idempotency_key()


RecordTrafficViolationArgument = Annotated[
    RecordTrafficViolationInput,
    strawberry.argument(
        description="The violator's ID, what the violation was, the city where it was recorded, and the fine."
    ),
]


@strawberry.type(description="The violation was recorded; the violator is notified.")
class TrafficViolationRecorded:
    violation: Violation = strawberry.field(description="The new violation, unpaid, due in 30 days.")


FINE_MAX = 20_000
PAYMENT_WINDOW = dt.timedelta(days=30)


def _city(text: str, argument: str) -> str:
    city = " ".join(text.split())
    if not 1 <= len(city) <= 30:
        raise RabtError(Code.BAD_USER_INPUT, f"{argument}: 1 to 30 characters.", argument=argument)
    return city


async def record_traffic_violation(
    info: Info, input: RecordTrafficViolationArgument
) -> TrafficViolationRecorded | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    city_en, city_ar = _city(input.city_en, "input.cityEn"), _city(input.city_ar, "input.cityAr")
    if not 1 <= input.fine_sar <= FINE_MAX:
        raise RabtError(Code.BAD_USER_INPUT, f"input.fineSar: 1 to {FINE_MAX:,}.", argument="input.fineSar")
    context = info.context
    await context.require_write(person_id, "traffic", allow=frozenset())  # officers and scoped services only
    await context.require_known_person(person_id)
    today = context.today()

    async def record_it(session: AsyncSession) -> TrafficViolationRecorded:
        values = await insert_new(
            session,
            ViolationRow,
            dict(
                person_id=person_id,
                kind=input.kind.value,
                city_en=city_en,
                city_ar=city_ar,
                committed_on=today,
                fine_sar=input.fine_sar,
                due_on=today + PAYMENT_WINDOW,
                status="unpaid",
                objected_on=None,
                objection_reason=None,
                vehicle_sequence_number=None,  # recorded against the driver, not a vehicle
            ),
            "number",
            lambda: f"9{secrets.randbelow(10**9):09d}",
        )
        number, due = values["number"], values["due_on"].isoformat()
        context.notify(
            "traffic",
            person_id,
            NoticeKind.VIOLATION,
            f"A traffic violation {number} was recorded against you in {city_en}: {input.fine_sar} SAR, due by {due}.",
            f"سُجلت عليك مخالفة مرورية رقم {number} في {city_ar}: {input.fine_sar} ريال، تستحق قبل {due}.",
        )
        return TrafficViolationRecorded(violation=record(Violation, values))

    return await context.once(input, TrafficViolationRecorded, record_it)


def fields() -> dict[str, StrawberryField]:
    return {
        "record_traffic_violation": strawberry.mutation(
            record_traffic_violation,
            graphql_type=answer_or_refusal(
                "RecordTrafficViolationResult", TrafficViolationRecorded, "The recorded violation."
            ),
            description=(
                "Record a traffic violation against a person: by a traffic officer or a service scoped traffic:write "
                "(nobody records their own). The violator is notified (a VIOLATION notification)."
            ),
        ),
        "object_to_traffic_violation": strawberry.mutation(
            object_to_traffic_violation,
            graphql_type=answer_or_refusal(
                "ObjectToTrafficViolationResult",
                TrafficViolationObjected,
                "The objected violation, or why it could not be.",
            ),
            description=(
                "Object to an unpaid traffic violation, within 30 days of it: by the violator or a traffic "
                "officer. The violation becomes objected. Refused when the violation is not the person's "
                "(VIOLATION_NOT_FOUND), is not unpaid (VIOLATION_NOT_UNPAID) or is older than 30 days "
                "(OBJECTION_WINDOW_CLOSED)."
            ),
        ),
        "pay_traffic_violation": strawberry.mutation(
            pay_traffic_violation,
            graphql_type=answer_or_refusal(
                "PayTrafficViolationResult", TrafficViolationPaid, "The paid violation, or why it could not be paid."
            ),
            description=(
                "Pay an unpaid traffic violation: by the violator or a traffic officer. Refused when the "
                "violation is not the person's (VIOLATION_NOT_FOUND) or is not unpaid (VIOLATION_NOT_UNPAID)."
            ),
        ),
    }
