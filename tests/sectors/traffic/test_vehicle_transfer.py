"""Selling a vehicle over HTTP: the owner offers it, the buyer accepts, and only then is it theirs;
each rule blocks as eligibility says (insurance, the vehicle's unpaid fines, a pending offer, an
offer to someone else); a refused or failed step changes no table."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from hub.notifications.models import NotificationRow
from sectors.traffic.models import VehicleRow, VehicleTransferRow, ViolationRow
from sectors.traffic.workflows import vehicles
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import fresh_key, kept, newest_notice, notices_since
from tests.sectors.traffic.test_registration_renewal import RENEW, fine, unoffered_vehicle
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


FULL_OFFER = """mutation($input: TransferVehicleOwnershipInput!) { transferVehicleOwnership(input: $input) {
  __typename
  ... on VehicleTransferOffered { transfer { reference sequenceNumber sellerId buyerId offeredOn { gregorian } status
                                            completedOn { gregorian } } }
  ... on Refusal { code }
} }"""
FULL_ACCEPT = """mutation($input: AcceptVehicleTransferInput!) { acceptVehicleTransfer(input: $input) {
  __typename
  ... on VehicleTransferAccepted {
    transfer { reference sequenceNumber sellerId buyerId offeredOn { gregorian } status completedOn { gregorian } }
    vehicle { sequenceNumber insuranceStatus }
  }
  ... on Refusal { code }
} }"""


async def _undo_sale(api: Api, number: str) -> None:
    async with api.hub.db.connect() as connection:
        await connection.execute(delete(VehicleTransferRow).where(VehicleTransferRow.sequence_number == number))
        await connection.execute(update(VehicleRow).where(VehicleRow.sequence_number == number).values(owner_id=SELLER))
        await connection.commit()


async def test_an_offer_and_its_acceptance_write_and_tell_each_value(api: Api) -> None:
    number = (await unoffered_vehicle(api, SELLER)).sequence_number
    themself = await api.query(
        OFFER, {"input": {"personId": SELLER, "sequenceNumber": number, "buyerId": SELLER}}, as_=individual(SELLER)
    )
    assert themself["errors"][0]["message"] == "input.buyerId: the seller's own ID."
    # An earlier sale of the same vehicle to the same buyer, completed: only the pending offer is accepted.
    earlier = dict(sequence_number=number, seller_id=SELLER, buyer_id=BUYER, offered_on=TODAY - dt.timedelta(days=900))
    history = insert(VehicleTransferRow).values(
        reference="VT9999000001", status="completed", completed_on=TODAY - dt.timedelta(days=899), **earlier
    )
    try:
        async with kept(api, SELLER, NotificationRow), kept(api, BUYER, NotificationRow):
            async with api.hub.db.connect() as connection:
                await connection.execute(history)
                await connection.commit()
            last = await newest_notice(api)
            offer = {"input": {"personId": SELLER, "sequenceNumber": number, "buyerId": BUYER}}
            offered = (await api.query(FULL_OFFER, offer, as_=individual(SELLER)))["data"]["transferVehicleOwnership"]
            reference = offered["transfer"]["reference"]
            assert re.fullmatch(r"VT[0-9]{10}", reference), offered
            pending = {
                "reference": reference,
                "sequenceNumber": number,
                "sellerId": SELLER,
                "buyerId": BUYER,
                "offeredOn": {"gregorian": str(TODAY)},
                "status": "PENDING",
                "completedOn": None,
            }
            assert offered == {"__typename": "VehicleTransferOffered", "transfer": pending}
            stored = select(
                VehicleTransferRow.seller_id,
                VehicleTransferRow.buyer_id,
                VehicleTransferRow.offered_on,
                VehicleTransferRow.status,
                VehicleTransferRow.completed_on,
            ).where(VehicleTransferRow.reference == reference)
            assert [tuple(row) for row in await api.hub.db.fetch(stored)] == [(SELLER, BUYER, TODAY, "pending", None)]
            told = await notices_since(api, last)
            assert told == [
                (
                    BUYER,
                    "traffic",
                    "service_completed",
                    f"Vehicle {number} is offered to you; it is yours once you accept (acceptVehicleTransfer).",
                    f"عُرضت عليك المركبة رقم {number}؛ تنتقل ملكيتها إليك عند قبولك.",
                )
            ]

            last = await newest_notice(api)
            accept = {"input": {"personId": BUYER, "sequenceNumber": number}}
            accepted = (await api.query(FULL_ACCEPT, accept, as_=individual(BUYER)))["data"]["acceptVehicleTransfer"]
            assert accepted == {
                "__typename": "VehicleTransferAccepted",
                "transfer": pending | {"status": "COMPLETED", "completedOn": {"gregorian": str(TODAY)}},
                "vehicle": {"sequenceNumber": number, "insuranceStatus": "INSURED"},
            }
            assert [tuple(row) for row in await api.hub.db.fetch(stored)] == [
                (SELLER, BUYER, TODAY, "completed", TODAY)
            ]
            owner = select(VehicleRow.owner_id).where(VehicleRow.sequence_number == number)
            assert [row[0] for row in await api.hub.db.fetch(owner)] == [BUYER]
            told = await notices_since(api, last)
            assert sorted(told) == sorted(
                (
                    party,
                    "traffic",
                    "service_completed",
                    f"Vehicle {number} is registered to its buyer from today.",
                    f"سُجلت المركبة رقم {number} باسم مشتريها اعتباراً من اليوم.",
                )
                for party in (SELLER, BUYER)
            )
            # Another pending offer (the seed's, to the family head) is left as it was.
            assert await seeded_offer(api)
    finally:
        await _undo_sale(api, number)


async def test_an_offer_sent_again_with_its_key_is_answered_again_and_made_once(api: Api) -> None:
    number = (await unoffered_vehicle(api, SELLER)).sequence_number
    keyed = {
        "personId": SELLER,
        "sequenceNumber": number,
        "buyerId": BUYER,
        "idempotencyKey": fresh_key("offer-sent-twice"),
    }
    try:
        async with kept(api, BUYER, NotificationRow):
            first = await api.query(FULL_OFFER, {"input": keyed}, as_=individual(SELLER))
            assert first["data"]["transferVehicleOwnership"]["__typename"] == "VehicleTransferOffered", first
            before = await every_row(api)
            assert await api.query(FULL_OFFER, {"input": keyed}, as_=individual(SELLER)) == first
            assert changed(before, await every_row(api)) == []
    finally:
        await _undo_sale(api, number)


async def test_an_offer_of_a_vehicle_its_seller_no_longer_owns_is_not_accepted_and_stays_pending(api: Api) -> None:
    number = (await unoffered_vehicle(api, SELLER)).sequence_number
    try:
        offered = await api.query(
            OFFER, {"input": {"personId": SELLER, "sequenceNumber": number, "buyerId": BUYER}}, as_=individual(SELLER)
        )
        assert offered["data"]["transferVehicleOwnership"]["__typename"] == "VehicleTransferOffered", offered
        # Registered to someone else meanwhile (by an office, outside this service): the sale cannot complete.
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(VehicleRow).where(VehicleRow.sequence_number == number).values(owner_id=HEAD)
            )
            await connection.commit()
        before = await every_row(api)
        accepted = await api.query(
            ACCEPT, {"input": {"personId": BUYER, "sequenceNumber": number}}, as_=individual(BUYER)
        )
        assert accepted["data"]["acceptVehicleTransfer"]["code"] == "NO_TRANSFER_OFFERED", accepted
        assert changed(before, await every_row(api)) == []
    finally:
        await _undo_sale(api, number)


async def test_each_malformed_id_or_number_is_refused_naming_its_argument_before_anything(api: Api) -> None:
    number = (await unoffered_vehicle(api, SELLER)).sequence_number
    bad_id = SELLER[:-1] + str((int(SELLER[-1]) + 1) % 10)  # the check digit wrong
    good = {"personId": SELLER, "sequenceNumber": number}
    cases = [
        (RENEW, good | {"personId": bad_id}, ("INVALID_ID", "input.personId")),
        (OFFER, good | {"buyerId": BUYER, "personId": bad_id}, ("INVALID_ID", "input.personId")),
        (OFFER, good | {"buyerId": bad_id}, ("INVALID_ID", "input.buyerId")),
        (OFFER, good | {"buyerId": BUYER, "sequenceNumber": "12345678"}, ("BAD_USER_INPUT", "input.sequenceNumber")),
        (ACCEPT, {"personId": bad_id, "sequenceNumber": number}, ("INVALID_ID", "input.personId")),
        (ACCEPT, {"personId": BUYER, "sequenceNumber": "1234567890"}, ("BAD_USER_INPUT", "input.sequenceNumber")),
    ]
    before = await every_row(api)
    for document, input, (code, argument) in cases:
        answer = await api.query(document, {"input": input}, as_=TRAFFIC)
        assert answer["errors"][0]["extensions"] == {"code": code, "argument": argument}, input
    assert changed(before, await every_row(api)) == []


async def test_an_offers_reference_is_vt_and_ten_digits_at_the_largest_draw(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = (await unoffered_vehicle(api, SELLER)).sequence_number
    monkeypatch.setattr(vehicles.secrets, "randbelow", lambda bound: bound - 1)  # the largest draw
    try:
        async with kept(api, BUYER, NotificationRow):
            offer = {"input": {"personId": SELLER, "sequenceNumber": number, "buyerId": BUYER}}
            offered = await api.query(OFFER, offer, as_=individual(SELLER))
            assert offered["data"]["transferVehicleOwnership"]["transfer"]["reference"] == "VT9999999999", offered
    finally:
        await _undo_sale(api, number)
