"""Selling a vehicle over HTTP: the owner offers it, the buyer accepts, and only then is it theirs;
each rule blocks as eligibility says (insurance, the vehicle's unpaid fines, a pending offer, an
offer to someone else); a refused or failed step changes no table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from hub.notifications.models import NotificationRow
from sectors.traffic.models import VehicleRow, VehicleTransferRow, ViolationRow
from tests.conftest import PERSONA, Api, individual, officer
from tests.sectors.traffic.test_registration_renewal import fine, unoffered_vehicle
from tests.services.tables import changed, every_row
from tests.services.test_eligibility import asked, codes, data

OFFER = """mutation($input: TransferVehicleOwnershipInput!) { transferVehicleOwnership(input: $input) {
  __typename
  ... on VehicleTransferOffered { transfer { reference sequenceNumber sellerId buyerId status } }
  ... on Refusal { code blockers { code } }
} }"""
ACCEPT = """mutation($input: AcceptVehicleTransferInput!) { acceptVehicleTransfer(input: $input) {
  __typename
  ... on VehicleTransferAccepted { transfer { status completedOn { gregorian } } vehicle { sequenceNumber } }
  ... on Refusal { code blockers { code } }
} }"""
RECEIVED = """query($id: ID!) { person(id: $id) { traffic {
  vehicles { sequenceNumber } vehicleTransfersReceived { reference sequenceNumber status }
} } }"""

SELLER, BUYER, HEAD = PERSONA["sponsor"], PERSONA["unpaid_violations"], PERSONA["family_head"]
TRAFFIC = officer("traffic")


async def seeded_offer(api: Api) -> str:
    """The sponsor's vehicle the seed offered to the family head, pending."""
    async with api.hub.db.connect() as connection:
        return (  # type: ignore[no-any-return]
            await connection.execute(
                select(VehicleTransferRow.sequence_number).where(
                    VehicleTransferRow.seller_id == SELLER,
                    VehicleTransferRow.buyer_id == HEAD,
                    VehicleTransferRow.status == "pending",
                )
            )
        ).scalar_one()


async def test_each_rule_of_offering_and_accepting_blocks_as_eligibility_says(api: Api) -> None:
    offered = await seeded_offer(api)
    assert codes(await asked(api, "TRANSFER_VEHICLE_OWNERSHIP", SELLER, TRAFFIC, offered)) == [
        ("traffic", "TRANSFER_PENDING")
    ]
    assert codes(await asked(api, "ACCEPT_VEHICLE_TRANSFER", BUYER, individual(BUYER), offered)) == [
        ("traffic", "NO_TRANSFER_OFFERED")
    ]
    assert await asked(api, "ACCEPT_VEHICLE_TRANSFER", HEAD, individual(HEAD), offered) == []
    restore = update(VehicleRow).where(VehicleRow.sequence_number == offered).values(insurance_status="insured")
    async with data(
        api,
        update(VehicleRow).where(VehicleRow.sequence_number == offered).values(insurance_status="uninsured"),
        fine(SELLER, "9920000001", offered),
        undo=[restore, delete(ViolationRow).where(ViolationRow.number == "9920000001")],
    ):
        assert codes(await asked(api, "ACCEPT_VEHICLE_TRANSFER", HEAD, individual(HEAD), offered)) == [
            ("traffic", "VEHICLE_NOT_INSURED"),
            ("traffic", "VEHICLE_UNPAID_VIOLATIONS"),
        ]
        assert codes(await asked(api, "TRANSFER_VEHICLE_OWNERSHIP", SELLER, individual(SELLER), offered)) == [
            ("traffic", "VEHICLE_NOT_INSURED"),
            ("traffic", "VEHICLE_UNPAID_VIOLATIONS"),
            ("traffic", "TRANSFER_PENDING"),
        ]
    owned = (await unoffered_vehicle(api, BUYER)).sequence_number
    assert codes(await asked(api, "TRANSFER_VEHICLE_OWNERSHIP", BUYER, individual(BUYER), owned)) == [
        ("traffic", "VEHICLE_UNPAID_VIOLATIONS")
    ]
    assert codes(await asked(api, "TRANSFER_VEHICLE_OWNERSHIP", HEAD, TRAFFIC, owned)) == [
        ("traffic", "VEHICLE_NOT_FOUND")
    ]


async def test_the_vehicle_is_the_buyers_only_once_they_accept(api: Api) -> None:
    number = (await unoffered_vehicle(api, SELLER)).sequence_number
    try:
        offer = await api.query(
            OFFER, {"input": {"personId": SELLER, "sequenceNumber": number, "buyerId": BUYER}}, as_=individual(SELLER)
        )
        transfer = offer["data"]["transferVehicleOwnership"]["transfer"]
        assert (transfer["sellerId"], transfer["buyerId"], transfer["status"]) == (SELLER, BUYER, "PENDING")
        seen = (await api.query(RECEIVED, {"id": BUYER}, as_=individual(BUYER)))["data"]["person"]["traffic"]
        assert {"reference": transfer["reference"], "sequenceNumber": number, "status": "PENDING"} in seen[
            "vehicleTransfersReceived"
        ]
        assert number not in [vehicle["sequenceNumber"] for vehicle in seen["vehicles"]]
        # The seller cannot accept for the buyer; the buyer can.
        forbidden = await api.query(
            ACCEPT, {"input": {"personId": BUYER, "sequenceNumber": number}}, as_=individual(SELLER)
        )
        assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        key = {"personId": BUYER, "sequenceNumber": number, "idempotencyKey": f"accept-{number}"}
        accepted = await api.query(ACCEPT, {"input": key}, as_=individual(BUYER))
        done = accepted["data"]["acceptVehicleTransfer"]
        # A retry with the same key answers as the first did, though the offer is no longer pending.
        rows = await every_row(api)
        assert await api.query(ACCEPT, {"input": key}, as_=individual(BUYER)) == accepted
        assert changed(rows, await every_row(api)) == []
        assert done["transfer"]["status"] == "COMPLETED" and done["transfer"]["completedOn"] is not None, accepted
        async with api.hub.db.connect() as connection:
            told = await connection.execute(
                select(NotificationRow.person_id).where(NotificationRow.message_en.contains(f"{number} is registered"))
            )
            assert sorted(told.scalars()) == sorted([SELLER, BUYER])  # each party hears of it
        after = (await api.query(RECEIVED, {"id": BUYER}, as_=TRAFFIC))["data"]["person"]["traffic"]
        assert number in [vehicle["sequenceNumber"] for vehicle in after["vehicles"]]
        again = await api.query(ACCEPT, {"input": {"personId": BUYER, "sequenceNumber": number}}, as_=individual(BUYER))
        assert again["data"]["acceptVehicleTransfer"]["code"] == "NO_TRANSFER_OFFERED"
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(delete(VehicleTransferRow).where(VehicleTransferRow.sequence_number == number))
            await connection.execute(
                update(VehicleRow).where(VehicleRow.sequence_number == number).values(owner_id=SELLER)
            )
            await connection.commit()


async def test_a_visitor_an_unknown_buyer_or_the_seller_themself_changes_nothing(api: Api) -> None:
    number = (await unoffered_vehicle(api, SELLER)).sequence_number

    def offer(buyer: str) -> dict[str, Any]:
        return {"input": {"personId": SELLER, "sequenceNumber": number, "buyerId": buyer}}

    before = await every_row(api)
    visitor = await api.query(OFFER, offer(PERSONA["visitor"]), as_=individual(SELLER))
    assert visitor["data"]["transferVehicleOwnership"]["code"] == "BUYER_CANNOT_OWN"
    unknown = await api.query(OFFER, offer("1111111116"), as_=individual(SELLER))
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    themself = await api.query(OFFER, offer(SELLER), as_=individual(SELLER))
    assert themself["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.buyerId"}
    assert changed(before, await every_row(api)) == []
