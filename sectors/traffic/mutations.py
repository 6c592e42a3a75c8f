"""Traffic's mutations. Each checks its rules and writes in one transaction, or refuses."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any, cast

import strawberry
from sqlalchemy import CursorResult, Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.field import StrawberryField

from hub.contract import (
    ActingAs,
    Code,
    Info,
    NoticeKind,
    RabtError,
    Refusal,
    ascii_digits,
    blocked,
    idempotency_key,
    insert_new,
    parse_person_id,
    record,
    refusals,
    serve,
    values_of,
    years_after,
)
from sectors.traffic.models import DrivingLicenceRow, VehicleRow, VehicleTransferRow, ViolationRow
from sectors.traffic.services import (
    ACCEPT_VEHICLE_TRANSFER,
    RENEW_DRIVING_LICENCE,
    RENEW_VEHICLE_REGISTRATION,
    RULES,
    TRANSFER_VEHICLE_OWNERSHIP,
)
from sectors.traffic.types import DrivingLicence, Vehicle, VehicleTransfer, Violation, ViolationKind

OBJECTION_WINDOW = dt.timedelta(days=30)
REASON_MAX = 500


@strawberry.input(description="Object to a traffic violation: the violator's ID, the violation and why.")
class ObjectToTrafficViolationInput:
    person_id: strawberry.ID = strawberry.field(description="The violator's national ID or iqama number.")
    violation_number: str = strawberry.field(description="The violation's number.")
    reason: str = strawberry.field(description="Why the violator objects, in their own words: 1 to 500 characters.")
    idempotency_key: str | None = idempotency_key()


@strawberry.type(description="The objection was filed; the fine is on hold until it is decided.")
class TrafficViolationObjected:
    violation: Violation = strawberry.field(description="The violation, now objected.")


ObjectToTrafficViolationResult = Annotated[
    TrafficViolationObjected | Refusal,
    strawberry.union("ObjectToTrafficViolationResult", description="The objected violation, or why it could not be."),
]

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
        "BUYER_CANNOT_OWN": (
            "A visitor cannot own a vehicle registered in the Kingdom; offer it to a citizen or a resident.",
            "لا يمكن للزائر تملك مركبة مسجلة في المملكة؛ اعرضها على مواطن أو مقيم.",
        ),
    }
)


async def _updated(session: AsyncSession, statement: Update) -> int:
    """How many rows `statement` changed. An UPDATE's result is a cursor's, which SQLAlchemy's types
    do not tell apart from a query's."""
    return cast(CursorResult[Any], await session.execute(statement)).rowcount


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
    info: Info, input: ObjectToTrafficViolationInput
) -> ObjectToTrafficViolationResult:
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
        updated = await _updated(
            session,
            update(ViolationRow).where(ViolationRow.number == number, ViolationRow.status == "unpaid").values(changes),
        )
        if updated != 1:
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


@strawberry.input(description="Renew a driving licence.")
class RenewDrivingLicenceInput:
    person_id: strawberry.ID = strawberry.field(description="The holder's national ID or iqama number.")
    idempotency_key: str | None = idempotency_key()


@strawberry.type(description="The driving licence was renewed.")
class DrivingLicenceRenewed:
    licence: DrivingLicence = strawberry.field(description="The licence, valid for ten more years.")


RenewDrivingLicenceResult = Annotated[
    DrivingLicenceRenewed | Refusal,
    strawberry.union("RenewDrivingLicenceResult", description="The renewed licence, or every rule that blocks it."),
]

LICENCE_TERM_YEARS = 10


async def renew_driving_licence(info: Info, input: RenewDrivingLicenceInput) -> RenewDrivingLicenceResult:
    person_id = parse_person_id(input.person_id, "input.personId")
    today = info.context.today()

    async def renew(session: AsyncSession) -> DrivingLicenceRenewed:
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
            "expires_on": start.replace(year=start.year + LICENCE_TERM_YEARS, day=min(start.day, 28)),
            "status": "valid",
        }
        # Conditional on what the rules saw, so a licence suspended meanwhile is not renewed.
        await session.execute(
            update(DrivingLicenceRow)
            .where(DrivingLicenceRow.number == licence.number, DrivingLicenceRow.status != "suspended")
            .values(changes)
        )
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


@strawberry.input(description="Pay a traffic violation's fine.")
class PayTrafficViolationInput:
    person_id: strawberry.ID = strawberry.field(description="The violator's national ID or iqama number.")
    violation_number: str = strawberry.field(description="The violation's number.")
    idempotency_key: str | None = idempotency_key()


@strawberry.type(description="The fine was paid.")
class TrafficViolationPaid:
    violation: Violation = strawberry.field(description="The violation, now paid.")


PayTrafficViolationResult = Annotated[
    TrafficViolationPaid | Refusal,
    strawberry.union("PayTrafficViolationResult", description="The paid violation, or why it could not be paid."),
]


async def pay_traffic_violation(info: Info, input: PayTrafficViolationInput) -> PayTrafficViolationResult:
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
        paid = await _updated(
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


@strawberry.type(description="The violation was recorded; the violator is notified.")
class TrafficViolationRecorded:
    violation: Violation = strawberry.field(description="The new violation, unpaid, due in 30 days.")


RecordTrafficViolationResult = Annotated[
    TrafficViolationRecorded | Refusal,
    strawberry.union("RecordTrafficViolationResult", description="The recorded violation."),
]
FINE_MAX = 20_000
PAYMENT_WINDOW = dt.timedelta(days=30)


def _city(text: str, argument: str) -> str:
    city = " ".join(text.split())
    if not 1 <= len(city) <= 30:
        raise RabtError(Code.BAD_USER_INPUT, f"{argument}: 1 to 30 characters.", argument=argument)
    return city


async def record_traffic_violation(info: Info, input: RecordTrafficViolationInput) -> RecordTrafficViolationResult:
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


@strawberry.input(description="Renew a vehicle's registration (istimara).")
class RenewVehicleRegistrationInput:
    person_id: strawberry.ID = strawberry.field(description="The owner's national ID or iqama number.")
    sequence_number: str = strawberry.field(description="The vehicle's sequence number (9 digits).")
    idempotency_key: str | None = idempotency_key()


@strawberry.type(description="The registration (istimara) was renewed for three years.")
class VehicleRegistrationRenewed:
    vehicle: Vehicle = strawberry.field(description="The vehicle, with its new registration expiry.")
    fee_sar: int = strawberry.field(
        description="What the renewal costs in riyals: 300 for three years, and 100 for each year it was late."
    )


RenewVehicleRegistrationResult = Annotated[
    VehicleRegistrationRenewed | Refusal,
    strawberry.union("RenewVehicleRegistrationResult", description="The renewal, or every rule that blocks it."),
]

REGISTRATION_TERM_YEARS = 3
REGISTRATION_FEE_SAR = 300
LATE_FEE_SAR_PER_YEAR = 100  # seed figures after DOMAIN.md §1.3: fees change, the rule does not


class _Changed(Exception):
    """What a rule saw changed before the write (a concurrent sale, an insurance lapse): roll back."""


async def renew_vehicle_registration(
    info: Info, input: RenewVehicleRegistrationInput
) -> RenewVehicleRegistrationResult:
    person_id = parse_person_id(input.person_id, "input.personId")
    number = RENEW_VEHICLE_REGISTRATION.item_key(input.sequence_number, "input.sequenceNumber")
    today = info.context.today()

    async def renew(session: AsyncSession) -> VehicleRegistrationRenewed | Refusal:
        vehicle = (await session.execute(select(VehicleRow).where(VehicleRow.sequence_number == number))).scalar_one()
        expired = vehicle.registration_expires_on
        late_years = -(-(today - expired).days // 365) if expired < today else 0
        expires = years_after(max(today, expired), REGISTRATION_TERM_YEARS)
        # Conditional on what the rules saw: a vehicle sold or uninsured meanwhile is not renewed.
        updated = await _updated(
            session,
            update(VehicleRow)
            .where(
                VehicleRow.sequence_number == number,
                VehicleRow.owner_id == person_id,
                VehicleRow.insurance_status == "insured",
            )
            .values(registration_expires_on=expires),
        )
        if updated != 1:
            return blocked([RULES("VEHICLE_NOT_FOUND")])
        info.context.notify(
            "traffic",
            person_id,
            NoticeKind.SERVICE_COMPLETED,
            f"The registration of vehicle {number} was renewed until {expires}.",
            f"جُددت استمارة المركبة رقم {number} حتى {expires}.",
        )
        return VehicleRegistrationRenewed(
            vehicle=record(Vehicle, values_of(vehicle) | {"registration_expires_on": expires}),
            fee_sar=REGISTRATION_FEE_SAR + LATE_FEE_SAR_PER_YEAR * late_years,
        )

    return await serve(
        info.context, RENEW_VEHICLE_REGISTRATION, person_id, input, VehicleRegistrationRenewed, renew, number
    )


@strawberry.input(description="Offer a vehicle to a buyer: the sale is done when the buyer accepts it.")
class TransferVehicleOwnershipInput:
    person_id: strawberry.ID = strawberry.field(description="The owner's (seller's) national ID or iqama number.")
    sequence_number: str = strawberry.field(description="The vehicle's sequence number (9 digits).")
    buyer_id: strawberry.ID = strawberry.field(description="The buyer's national ID or iqama number.")
    idempotency_key: str | None = idempotency_key()


@strawberry.type(description="The vehicle was offered to the buyer; it is theirs once they accept.")
class VehicleTransferOffered:
    transfer: VehicleTransfer = strawberry.field(description="The offer, pending.")


TransferVehicleOwnershipResult = Annotated[
    VehicleTransferOffered | Refusal,
    strawberry.union("TransferVehicleOwnershipResult", description="The offer, or every rule that blocks it."),
]


async def transfer_vehicle_ownership(
    info: Info, input: TransferVehicleOwnershipInput
) -> TransferVehicleOwnershipResult:
    person_id = parse_person_id(input.person_id, "input.personId")
    number = TRANSFER_VEHICLE_OWNERSHIP.item_key(input.sequence_number, "input.sequenceNumber")
    buyer_id = parse_person_id(input.buyer_id, "input.buyerId")
    if buyer_id == person_id:
        raise RabtError(Code.BAD_USER_INPUT, "input.buyerId: the seller's own ID.", argument="input.buyerId")
    context = info.context
    today = context.today()

    async def offer(session: AsyncSession) -> VehicleTransferOffered | Refusal:
        await context.require_known_person(buyer_id)
        if buyer_id.startswith("3"):  # a border number: a visitor
            return _refusal("BUYER_CANNOT_OWN")
        values = await insert_new(
            session,
            VehicleTransferRow,
            dict(sequence_number=number, seller_id=person_id, buyer_id=buyer_id, offered_on=today, status="pending"),
            "reference",
            lambda: f"VT{secrets.randbelow(10**10):010d}",
        )
        context.notify(
            "traffic",
            buyer_id,
            NoticeKind.SERVICE_COMPLETED,
            f"Vehicle {number} is offered to you; it is yours once you accept (acceptVehicleTransfer).",
            f"عُرضت عليك المركبة رقم {number}؛ تنتقل ملكيتها إليك عند قبولك.",
        )
        return VehicleTransferOffered(transfer=record(VehicleTransfer, values | {"completed_on": None}))

    return await serve(context, TRANSFER_VEHICLE_OWNERSHIP, person_id, input, VehicleTransferOffered, offer, number)


@strawberry.input(description="Accept a vehicle offered to you.")
class AcceptVehicleTransferInput:
    person_id: strawberry.ID = strawberry.field(description="The buyer's national ID or iqama number.")
    sequence_number: str = strawberry.field(description="The vehicle's sequence number (9 digits).")
    idempotency_key: str | None = idempotency_key()


@strawberry.type(description="The vehicle is the buyer's now.")
class VehicleTransferAccepted:
    transfer: VehicleTransfer = strawberry.field(description="The sale, completed.")
    vehicle: Vehicle = strawberry.field(description="The vehicle, registered to the buyer.")


AcceptVehicleTransferResult = Annotated[
    VehicleTransferAccepted | Refusal,
    strawberry.union("AcceptVehicleTransferResult", description="The completed sale, or every rule that blocks it."),
]


async def accept_vehicle_transfer(info: Info, input: AcceptVehicleTransferInput) -> AcceptVehicleTransferResult:
    person_id = parse_person_id(input.person_id, "input.personId")
    number = ACCEPT_VEHICLE_TRANSFER.item_key(input.sequence_number, "input.sequenceNumber")
    today = info.context.today()

    async def accept(session: AsyncSession) -> VehicleTransferAccepted:
        offer = (
            await session.execute(
                select(VehicleTransferRow).where(
                    VehicleTransferRow.sequence_number == number,
                    VehicleTransferRow.buyer_id == person_id,
                    VehicleTransferRow.status == "pending",
                )
            )
        ).scalar_one()
        done = {"status": "completed", "completed_on": today}
        closed = await _updated(
            session,
            update(VehicleTransferRow)
            .where(VehicleTransferRow.reference == offer.reference, VehicleTransferRow.status == "pending")
            .values(done),
        )
        # Both or neither: the offer closes only if the seller still owns an insured vehicle.
        moved = await _updated(
            session,
            update(VehicleRow)
            .where(
                VehicleRow.sequence_number == number,
                VehicleRow.owner_id == offer.seller_id,
                VehicleRow.insurance_status == "insured",
            )
            .values(owner_id=person_id),
        )
        if closed != 1 or moved != 1:
            raise _Changed  # rolls the transaction back, the offer's update with it
        for party in (offer.seller_id, person_id):
            info.context.notify(
                "traffic",
                party,
                NoticeKind.SERVICE_COMPLETED,
                f"Vehicle {number} is registered to its buyer from today.",
                f"سُجلت المركبة رقم {number} باسم مشتريها اعتباراً من اليوم.",
            )
        vehicle = (await session.execute(select(VehicleRow).where(VehicleRow.sequence_number == number))).scalar_one()
        return VehicleTransferAccepted(
            transfer=record(VehicleTransfer, values_of(offer) | done), vehicle=record(Vehicle, values_of(vehicle))
        )

    try:
        return await serve(
            info.context, ACCEPT_VEHICLE_TRANSFER, person_id, input, VehicleTransferAccepted, accept, number
        )
    except _Changed:
        return blocked([RULES("NO_TRANSFER_OFFERED")])


def fields() -> dict[str, StrawberryField]:
    return {
        "record_traffic_violation": strawberry.mutation(
            record_traffic_violation,
            description=(
                "Record a traffic violation against a person: by a traffic officer or a service scoped traffic:write "
                "(nobody records their own). The violator is notified (a VIOLATION notification)."
            ),
        ),
        "object_to_traffic_violation": strawberry.mutation(
            object_to_traffic_violation,
            description=(
                "Object to an unpaid traffic violation, within 30 days of it: by the violator or a traffic "
                "officer. The violation becomes objected. Refused when the violation is not the person's "
                "(VIOLATION_NOT_FOUND), is not unpaid (VIOLATION_NOT_UNPAID) or is older than 30 days "
                "(OBJECTION_WINDOW_CLOSED)."
            ),
        ),
        "renew_driving_licence": strawberry.mutation(
            renew_driving_licence,
            description=(
                "Renew a driving licence for ten years (from its expiry, or today if it has expired): by the "
                "holder or a traffic officer, from 180 days before it expires. Refused with every rule that "
                "blocks it (the same as eligibility(service: RENEW_DRIVING_LICENCE))."
            ),
        ),
        "pay_traffic_violation": strawberry.mutation(
            pay_traffic_violation,
            description=(
                "Pay an unpaid traffic violation: by the violator or a traffic officer. Refused when the "
                "violation is not the person's (VIOLATION_NOT_FOUND) or is not unpaid (VIOLATION_NOT_UNPAID)."
            ),
        ),
        "renew_vehicle_registration": strawberry.mutation(
            renew_vehicle_registration,
            description=(
                "Renew a vehicle's registration (istimara) for three years (from its expiry, or today once expired): "
                "by the owner or a traffic officer. Refused with every rule that blocks it (as eligibility(service: "
                "RENEW_VEHICLE_REGISTRATION, item: the sequence number)): the vehicle must be insured and have no "
                "unpaid violation. The owner's own unpaid fines elsewhere do not block it."
            ),
        ),
        "transfer_vehicle_ownership": strawberry.mutation(
            transfer_vehicle_ownership,
            description=(
                "Offer a vehicle to a buyer, who becomes its owner on accepting (acceptVehicleTransfer): by the owner "
                "or a traffic officer. Refused with every rule that blocks it (as eligibility(service: "
                "TRANSFER_VEHICLE_OWNERSHIP, item: the sequence number)), or BUYER_CANNOT_OWN for a visitor; a buyer "
                "the registry does not know is NOT_FOUND."
            ),
        ),
        "accept_vehicle_transfer": strawberry.mutation(
            accept_vehicle_transfer,
            description=(
                "Accept a vehicle offered to you: it is registered to you at once. By the buyer or a traffic "
                "officer. Refused with every rule that blocks it (as eligibility(service: ACCEPT_VEHICLE_TRANSFER, "
                "item: the sequence number)): the vehicle must still be insured and without unpaid violations."
            ),
        ),
    }
