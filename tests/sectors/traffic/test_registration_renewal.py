"""Renewing a vehicle's registration (istimara) over HTTP: insurance and the vehicle's own unpaid
violations block it, exactly as eligibility says; the owner's fines elsewhere do not; a renewal
runs three years from the expiry (or today) and charges the late years; nobody else may renew."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, select, update

from hub.contract.calendar import years_after
from hub.notifications.models import NotificationRow
from sectors.traffic.models import VehicleRow, VehicleTransferRow, ViolationRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import kept, newest_notice, notices_since
from tests.services.tables import changed, every_row
from tests.services.test_eligibility import asked, codes, data

RENEW = """mutation($input: RenewVehicleRegistrationInput!) { renewVehicleRegistration(input: $input) {
  __typename
  ... on VehicleRegistrationRenewed { feeSar vehicle { sequenceNumber registrationExpiresOn { gregorian } } }
  ... on Refusal { code }
} }"""

SERVICE = "RENEW_VEHICLE_REGISTRATION"
OWNER = PERSONA["sponsor"]
TRAFFIC = officer("traffic")


def fine(person_id: str, number: str, vehicle: str | None) -> Any:
    today = TODAY
    return insert(ViolationRow).values(
        number=number,
        person_id=person_id,
        kind="speeding",
        city_ar="الرياض",
        city_en="Riyadh",
        committed_on=today - dt.timedelta(days=2),
        fine_sar=300,
        due_on=today + dt.timedelta(days=28),
        status="unpaid",
        vehicle_sequence_number=vehicle,
    )


async def unoffered_vehicle(api: Api, owner: str) -> VehicleRow:
    """One of the owner's vehicles that no pending sale holds."""
    pending = select(VehicleTransferRow.sequence_number).where(VehicleTransferRow.status == "pending")
    async with api.hub.db.connect() as connection:
        return (  # type: ignore[no-any-return]
            await connection.execute(
                select(VehicleRow)
                .where(VehicleRow.owner_id == owner, VehicleRow.sequence_number.not_in(pending))
                .order_by(VehicleRow.sequence_number)
                .limit(1)
            )
        ).one()


async def test_insurance_and_the_vehicles_own_unpaid_fines_block_it_as_eligibility_says(api: Api) -> None:
    vehicle = await unoffered_vehicle(api, OWNER)
    number = vehicle.sequence_number
    assert await asked(api, SERVICE, OWNER, TRAFFIC, number) == []
    # Someone else's vehicle is not found, whoever owns it.
    assert codes(await asked(api, SERVICE, PERSONA["family_head"], TRAFFIC, number)) == [
        ("traffic", "VEHICLE_NOT_FOUND")
    ]
    restore = update(VehicleRow).where(VehicleRow.sequence_number == number).values(insurance_status="insured")
    async with data(
        api,
        update(VehicleRow).where(VehicleRow.sequence_number == number).values(insurance_status="expired"),
        fine(OWNER, "9910000001", number),
        undo=[restore, delete(ViolationRow).where(ViolationRow.number == "9910000001")],
    ):
        assert codes(await asked(api, SERVICE, OWNER, individual(OWNER), number)) == [
            ("traffic", "VEHICLE_NOT_INSURED"),
            ("traffic", "VEHICLE_UNPAID_VIOLATIONS"),
        ]
    # The owner's fine recorded against no vehicle suspends their services, not this renewal.
    async with data(
        api, fine(OWNER, "9910000002", None), undo=[delete(ViolationRow).where(ViolationRow.number == "9910000002")]
    ):
        assert await asked(api, SERVICE, OWNER, individual(OWNER), number) == []


async def test_the_seeded_fines_on_a_vehicle_block_its_renewal(api: Api) -> None:
    owner = PERSONA["unpaid_violations"]
    vehicle = await unoffered_vehicle(api, owner)
    assert codes(await asked(api, SERVICE, owner, individual(owner), vehicle.sequence_number)) == [
        ("traffic", "VEHICLE_UNPAID_VIOLATIONS")
    ]


async def test_a_late_renewal_runs_three_years_from_today_and_charges_each_late_year(api: Api) -> None:
    vehicle = await unoffered_vehicle(api, OWNER)
    number, kept = vehicle.sequence_number, vehicle.registration_expires_on
    today = TODAY
    late = today - dt.timedelta(days=400)  # two started years late
    try:
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(VehicleRow).where(VehicleRow.sequence_number == number).values(registration_expires_on=late)
            )
            await connection.commit()
        renewed = await api.query(
            RENEW, {"input": {"personId": OWNER, "sequenceNumber": number}}, as_=individual(OWNER)
        )
        answer = renewed["data"]["renewVehicleRegistration"]
        assert answer["__typename"] == "VehicleRegistrationRenewed", renewed
        assert answer["feeSar"] == 300 + 2 * 100
        assert answer["vehicle"]["registrationExpiresOn"]["gregorian"] == str(years_after(today, 3))
        # Renewed again before expiry: three more years from the expiry, nothing late.
        again = await api.query(RENEW, {"input": {"personId": OWNER, "sequenceNumber": number}}, as_=TRAFFIC)
        assert again["data"]["renewVehicleRegistration"]["feeSar"] == 300
        assert again["data"]["renewVehicleRegistration"]["vehicle"]["registrationExpiresOn"]["gregorian"] == str(
            years_after(years_after(today, 3), 3)
        )
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(VehicleRow).where(VehicleRow.sequence_number == number).values(registration_expires_on=kept)
            )
            await connection.commit()


async def test_nobody_else_may_renew_and_bad_numbers_are_refused_before_anything(api: Api) -> None:
    number = (await unoffered_vehicle(api, OWNER)).sequence_number
    before = await every_row(api)
    stranger = await api.query(
        RENEW, {"input": {"personId": OWNER, "sequenceNumber": number}}, as_=individual("family_head")
    )
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    passports = await api.query(
        RENEW, {"input": {"personId": OWNER, "sequenceNumber": number}}, as_=officer("passports")
    )
    assert passports["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for bad in ("12345678", "1234567890", "12345678x"):
        answer = await api.query(RENEW, {"input": {"personId": OWNER, "sequenceNumber": bad}}, as_=individual(OWNER))
        assert answer["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.sequenceNumber"}
    assert changed(before, await every_row(api)) == []


async def test_a_retry_with_the_same_key_renews_once(api: Api) -> None:
    vehicle = await unoffered_vehicle(api, OWNER)
    number, kept = vehicle.sequence_number, vehicle.registration_expires_on
    asked_for = {"input": {"personId": OWNER, "sequenceNumber": number, "idempotencyKey": f"istimara-{number}"}}
    try:
        first = await api.query(RENEW, asked_for, as_=individual(OWNER))
        assert first["data"]["renewVehicleRegistration"]["__typename"] == "VehicleRegistrationRenewed", first
        after = await every_row(api)
        assert await api.query(RENEW, asked_for, as_=individual(OWNER)) == first
        assert changed(after, await every_row(api)) == []
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(VehicleRow).where(VehicleRow.sequence_number == number).values(registration_expires_on=kept)
            )
            await connection.commit()


async def test_each_started_year_late_costs_100_and_a_renewal_on_the_expiry_day_is_not_late(api: Api) -> None:
    vehicle = await unoffered_vehicle(api, OWNER)
    number, expiry = vehicle.sequence_number, vehicle.registration_expires_on
    cases = [  # days since expiry: fee, three years counted from
        (0, 300, TODAY),
        (1, 400, TODAY),
        (365, 400, TODAY),
        (366, 500, TODAY),
        (-1, 300, TODAY + dt.timedelta(days=1)),
    ]
    try:
        for late, fee, start in cases:
            async with api.hub.db.connect() as connection:
                await connection.execute(
                    update(VehicleRow)
                    .where(VehicleRow.sequence_number == number)
                    .values(registration_expires_on=TODAY - dt.timedelta(days=late))
                )
                await connection.commit()
            renewed = await api.query(RENEW, {"input": {"personId": OWNER, "sequenceNumber": number}}, as_=TRAFFIC)
            answer = renewed["data"]["renewVehicleRegistration"]
            assert (answer["feeSar"], answer["vehicle"]["registrationExpiresOn"]["gregorian"]) == (
                fee,
                str(years_after(start, 3)),
            ), late
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(VehicleRow).where(VehicleRow.sequence_number == number).values(registration_expires_on=expiry)
            )
            await connection.commit()


async def test_a_renewal_is_told_to_the_owner_in_both_languages_and_written(api: Api) -> None:
    vehicle = await unoffered_vehicle(api, OWNER)
    number, expiry = vehicle.sequence_number, vehicle.registration_expires_on
    expires = years_after(max(TODAY, expiry), 3)
    try:
        async with kept(api, OWNER, NotificationRow):
            last = await newest_notice(api)
            renewed = await api.query(
                RENEW, {"input": {"personId": OWNER, "sequenceNumber": number}}, as_=individual(OWNER)
            )
            assert renewed["data"]["renewVehicleRegistration"]["__typename"] == "VehicleRegistrationRenewed"
            assert await notices_since(api, last) == [
                (
                    OWNER,
                    "traffic",
                    "service_completed",
                    f"The registration of vehicle {number} was renewed until {expires}.",
                    f"جُددت استمارة المركبة رقم {number} حتى {expires}.",
                )
            ]
            stored = await api.hub.db.fetch(
                select(VehicleRow.registration_expires_on, VehicleRow.owner_id, VehicleRow.insurance_status).where(
                    VehicleRow.sequence_number == number
                )
            )
            assert [tuple(row) for row in stored] == [(expires, OWNER, "insured")]
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(VehicleRow).where(VehicleRow.sequence_number == number).values(registration_expires_on=expiry)
            )
            await connection.commit()
