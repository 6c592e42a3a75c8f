"""A vehicle's registration (istimara) and its sale: the owner offers it, the buyer accepts, and the
vehicle is registered to the buyer at once."""

from __future__ import annotations

import secrets
from typing import Annotated

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
from sectors.traffic.models import VehicleRow, VehicleTransferRow
from sectors.traffic.services import (
    ACCEPT_VEHICLE_TRANSFER,
    RENEW_VEHICLE_REGISTRATION,
    RULES,
    TRANSFER_VEHICLE_OWNERSHIP,
)
from sectors.traffic.types import Vehicle, VehicleTransfer

_refusal = refusals(
    {
        "BUYER_CANNOT_OWN": (
            "A visitor cannot own a vehicle registered in the Kingdom; offer it to a citizen or a resident.",
            "لا يمكن للزائر تملك مركبة مسجلة في المملكة؛ اعرضها على مواطن أو مقيم.",
        ),
    }
)


@strawberry.input(description="Renew a vehicle's registration (istimara).")
class RenewVehicleRegistrationInput:
    person_id: strawberry.ID = strawberry.field(description="The owner's national ID or iqama number.")
    sequence_number: str = strawberry.field(description="The vehicle's sequence number (9 digits).")
    idempotency_key: str | None = idempotency_key()


RenewVehicleRegistrationArgument = Annotated[
    RenewVehicleRegistrationInput,
    strawberry.argument(
        description="The owner's ID and the sequence number of the vehicle whose registration is renewed."
    ),
]


@strawberry.type(description="The registration (istimara) was renewed for three years.")
class VehicleRegistrationRenewed:
    vehicle: Vehicle = strawberry.field(description="The vehicle, with its new registration expiry.")
    fee_sar: int = strawberry.field(
        description="What the renewal costs in riyals: 300 for three years, and 100 for each year it was late."
    )


REGISTRATION_TERM_YEARS = 3
REGISTRATION_FEE_SAR = 300
LATE_FEE_SAR_PER_YEAR = 100  # seed figures after docs/domain.md §1.3: fees change, the rule does not


class _Changed(Exception):
    """What a rule saw changed before the write (a concurrent sale, an insurance lapse): roll back."""


async def renew_vehicle_registration(
    info: Info, input: RenewVehicleRegistrationArgument
) -> VehicleRegistrationRenewed | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    number = RENEW_VEHICLE_REGISTRATION.item_key(input.sequence_number, "input.sequenceNumber")
    today = info.context.today()

    async def renew(session: AsyncSession) -> VehicleRegistrationRenewed | Refusal:
        vehicle = (await session.execute(select(VehicleRow).where(VehicleRow.sequence_number == number))).scalar_one()
        expired = vehicle.registration_expires_on
        late_years = -(-(today - expired).days // 365) if expired < today else 0
        expires = years_after(max(today, expired), REGISTRATION_TERM_YEARS)
        # Conditional on what the rules saw: a vehicle sold or uninsured meanwhile is not renewed.
        renewed = await updated(
            session,
            update(VehicleRow)
            .where(
                VehicleRow.sequence_number == number,
                VehicleRow.owner_id == person_id,
                VehicleRow.insurance_status == "insured",
            )
            .values(registration_expires_on=expires),
        )
        if renewed != 1:
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


TransferVehicleOwnershipArgument = Annotated[
    TransferVehicleOwnershipInput,
    strawberry.argument(description="The owner's ID, the sequence number of the vehicle offered, and the buyer's ID."),
]


@strawberry.type(description="The vehicle was offered to the buyer; it is theirs once they accept.")
class VehicleTransferOffered:
    transfer: VehicleTransfer = strawberry.field(description="The offer, pending.")


async def transfer_vehicle_ownership(
    info: Info, input: TransferVehicleOwnershipArgument
) -> VehicleTransferOffered | Refusal:
    person_id = parse_person_id(input.person_id, "input.personId")
    number = TRANSFER_VEHICLE_OWNERSHIP.item_key(input.sequence_number, "input.sequenceNumber")
    buyer_id = parse_person_id(input.buyer_id, "input.buyerId")
    if buyer_id == person_id:
        raise RabtError(Code.BAD_USER_INPUT, "input.buyerId: the seller's own ID.", argument="input.buyerId")
    context = info.context
    today = context.today()

    async def offer(session: AsyncSession) -> VehicleTransferOffered | Refusal:
        await context.require_known_person(buyer_id, "input.buyerId")
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


AcceptVehicleTransferArgument = Annotated[
    AcceptVehicleTransferInput,
    strawberry.argument(description="The buyer's ID and the sequence number of the vehicle offered to them."),
]


@strawberry.type(description="The vehicle is the buyer's now.")
class VehicleTransferAccepted:
    transfer: VehicleTransfer = strawberry.field(description="The sale, completed.")
    vehicle: Vehicle = strawberry.field(description="The vehicle, registered to the buyer.")


async def accept_vehicle_transfer(
    info: Info, input: AcceptVehicleTransferArgument
) -> VehicleTransferAccepted | Refusal:
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
        closed = await updated(
            session,
            update(VehicleTransferRow)
            .where(VehicleTransferRow.reference == offer.reference, VehicleTransferRow.status == "pending")
            .values(done),
        )
        # Both or neither: the offer closes only if the seller still owns an insured vehicle.
        moved = await updated(
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
        "renew_vehicle_registration": strawberry.mutation(
            renew_vehicle_registration,
            graphql_type=answer_or_refusal(
                "RenewVehicleRegistrationResult",
                VehicleRegistrationRenewed,
                "The renewal, or every rule that blocks it.",
            ),
            description=(
                "Renew a vehicle's registration (istimara) for three years (from its expiry, or today once expired): "
                "by the owner or a traffic officer. Refused with every rule that blocks it (as eligibility(service: "
                "RENEW_VEHICLE_REGISTRATION, item: the sequence number)): the vehicle must be insured and have no "
                "unpaid violation. The owner's own unpaid fines elsewhere do not block it."
            ),
        ),
        "transfer_vehicle_ownership": strawberry.mutation(
            transfer_vehicle_ownership,
            graphql_type=answer_or_refusal(
                "TransferVehicleOwnershipResult", VehicleTransferOffered, "The offer, or every rule that blocks it."
            ),
            description=(
                "Offer a vehicle to a buyer, who becomes its owner on accepting (acceptVehicleTransfer): by the owner "
                "or a traffic officer. Refused with every rule that blocks it (as eligibility(service: "
                "TRANSFER_VEHICLE_OWNERSHIP, item: the sequence number)), or BUYER_CANNOT_OWN for a visitor; a buyer "
                "the registry does not know is NOT_FOUND."
            ),
        ),
        "accept_vehicle_transfer": strawberry.mutation(
            accept_vehicle_transfer,
            graphql_type=answer_or_refusal(
                "AcceptVehicleTransferResult",
                VehicleTransferAccepted,
                "The completed sale, or every rule that blocks it.",
            ),
            description=(
                "Accept a vehicle offered to you: it is registered to you at once. By the buyer or a traffic "
                "officer. Refused with every rule that blocks it (as eligibility(service: ACCEPT_VEHICLE_TRANSFER, "
                "item: the sequence number)): the vehicle must still be insured and without unpaid violations."
            ),
        ),
    }
