"""A vehicle sale touches two people: the offer and its acceptance are audited for the seller and
the buyer alike, each in their own access log; a refused step writes nothing, and is in the buyer's
log only as an attempt that found them registered by the ID the seller gave."""

from __future__ import annotations

from sqlalchemy import delete, update

from hub.notifications.models import NotificationRow
from sectors.traffic.models import VehicleRow, VehicleTransferRow
from tests.conftest import PERSONA, Api, individual
from tests.sectors.parties import assert_each_sees_it, assert_none_sees_it, audited_writes, logs
from tests.sectors.traffic.test_registration_renewal import unoffered_vehicle
from tests.sectors.traffic.test_vehicle_transfer import ACCEPT, BUYER, OFFER, SELLER

OFFERED, ACCEPTED = "transferVehicleOwnership", "acceptVehicleTransfer"


async def test_the_seller_and_the_buyer_each_see_the_offer_and_the_acceptance(api: Api) -> None:
    number = (await unoffered_vehicle(api, SELLER)).sequence_number
    try:
        before = await logs(api, [SELLER, BUYER], OFFERED)
        offer = {"input": {"personId": SELLER, "sequenceNumber": number, "buyerId": BUYER}}
        offered = await api.query(OFFER, offer, as_=individual(SELLER))
        assert offered["data"][OFFERED]["__typename"] == "VehicleTransferOffered", offered
        parties = {SELLER: "self", BUYER: "party"}
        await assert_each_sees_it(api, before, OFFERED, individual(SELLER).actor, parties)

        before = await logs(api, [SELLER, BUYER], ACCEPTED)
        accept = {"input": {"personId": BUYER, "sequenceNumber": number}}
        accepted = await api.query(ACCEPT, accept, as_=individual(BUYER))
        assert accepted["data"][ACCEPTED]["__typename"] == "VehicleTransferAccepted", accepted
        await assert_each_sees_it(api, before, ACCEPTED, individual(BUYER).actor, {SELLER: "party", BUYER: "self"})

        # Refused (nothing offered any more): audited for the buyer who asked, not for the seller.
        before, writes = await logs(api, [SELLER], ACCEPTED), await audited_writes(api)
        again = await api.query(ACCEPT, accept, as_=individual(BUYER))
        assert again["data"][ACCEPTED]["code"] == "NO_TRANSFER_OFFERED"
        await assert_none_sees_it(api, before, ACCEPTED)
        assert await audited_writes(api) == writes
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(delete(VehicleTransferRow).where(VehicleTransferRow.sequence_number == number))
            await connection.execute(delete(NotificationRow).where(NotificationRow.message_en.contains(number)))
            await connection.execute(
                update(VehicleRow).where(VehicleRow.sequence_number == number).values(owner_id=SELLER)
            )
            await connection.commit()


async def test_an_offer_refused_writes_nothing_and_the_buyer_found_by_id_sees_the_attempt(api: Api) -> None:
    number = (await unoffered_vehicle(api, SELLER)).sequence_number
    visitor = PERSONA["visitor"]
    before, writes = await logs(api, [visitor], OFFERED), await audited_writes(api)
    seller = await logs(api, [SELLER], OFFERED)
    offer = {"input": {"personId": SELLER, "sequenceNumber": number, "buyerId": visitor}}
    refused = await api.query(OFFER, offer, as_=individual(SELLER))
    assert refused["data"][OFFERED]["code"] == "BUYER_CANNOT_OWN"
    assert await audited_writes(api) == writes
    # The seller learnt that the visitor's ID is registered: the visitor sees who tried, and how it ended.
    seen = (await logs(api, [visitor], OFFERED))[visitor]
    assert len(seen) == len(before[visitor]) + 1
    assert (seen[0]["actor"], seen[0]["actingAs"], seen[0]["outcome"]) == (
        individual(SELLER).actor,
        "party",
        "BUYER_CANNOT_OWN",
    )
    # The seller's attempt is in their log as refused, never as a write done.
    attempt = (await logs(api, [SELLER], OFFERED))[SELLER]
    assert len(attempt) == len(seller[SELLER]) + 1 and attempt[0]["outcome"] == "BUYER_CANNOT_OWN"
