"""Renewing a Saudi passport, and the medical insurance an iqama renewal needs, over HTTP."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from hub.contract.calendar import riyadh_today
from sectors.passports.models import MedicalInsuranceRow, PassportRow
from sectors.traffic.models import ViolationRow
from tests.conftest import PERSONA, Api, individual, officer
from tests.sectors.passports.helpers import SPONSOR, allowed_worker, blockers, mutate, restored
from tests.services.tables import changed, every_row

RENEWED = "... on PassportRenewed { passport { number issuingCountry status expiresOn { gregorian } } }"
IQAMA = "... on IqamaRenewed { iqama { status } }"


async def citizen_with_passport(api: Api) -> tuple[str, str, dt.date, dt.date]:
    """A citizen with a Saudi passport and no unpaid violations: ID, passport, issued, expires."""
    unpaid = select(ViolationRow.number).where(
        ViolationRow.person_id == PassportRow.person_id, ViolationRow.status == "unpaid"
    )
    async with api.hub.db.connect() as connection:
        found = (
            await connection.execute(
                select(PassportRow.person_id, PassportRow.number, PassportRow.issued_on, PassportRow.expires_on)
                .where(
                    PassportRow.issuing_country == "SAU",
                    PassportRow.status == "valid",
                    PassportRow.person_id.like("1%"),
                    ~unpaid.exists(),
                )
                .order_by(PassportRow.person_id)
                .limit(1)
            )
        ).one()
    return found[0], found[1], found[2], found[3]


async def test_a_citizen_renews_their_passport_for_the_same_term(api: Api) -> None:
    person, number, issued, expires = await citizen_with_passport(api)
    term = dt.timedelta(days=3650 if (expires - issued).days > 1855 else 1825)
    async with restored(api):
        renewed = await mutate(
            api, "renewPassport", "RenewPassportInput", RENEWED, {"personId": person}, individual(person)
        )
        passport = renewed["passport"]
        assert passport["number"] != number and passport["issuingCountry"] == "SAU" and passport["status"] == "VALID"
        assert passport["expiresOn"]["gregorian"] == str(riyadh_today() + term)
        async with api.hub.db.connect() as connection:
            old = (
                await connection.execute(select(PassportRow.status).where(PassportRow.number == number))
            ).scalar_one()
        assert old == "cancelled"


async def test_a_passport_renewal_is_refused_to_residents_and_over_unpaid_fines(api: Api) -> None:
    passports = officer("passports")
    assert await blockers(api, "RENEW_PASSPORT", PERSONA["absconding_worker"], passports) == ["NOT_A_CITIZEN"]
    person = PERSONA["unpaid_violations"]
    before = await every_row(api)
    refused = await mutate(api, "renewPassport", "RenewPassportInput", RENEWED, {"personId": person}, passports)
    assert ("traffic", "UNPAID_VIOLATIONS") in [(b["sector"], b["code"]) for b in refused["blockers"]]
    assert changed(before, await every_row(api)) == []
    minor = PERSONA["minor_child"]  # a guardian may renew a child's
    assert (
        await api.query(
            "query($id: ID!) { eligibility(personId: $id, service: RENEW_PASSPORT) { allowed } }",
            {"id": minor},
            as_=individual("family_head"),
        )
    )["data"]["eligibility"] is not None


async def test_an_iqama_renewal_needs_medical_insurance_in_force(api: Api) -> None:
    worker = await allowed_worker(api, "RENEW_IQAMA")
    yesterday = riyadh_today() - dt.timedelta(days=1)
    async with restored(api):
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(MedicalInsuranceRow).where(MedicalInsuranceRow.person_id == worker).values(valid_until=yesterday)
            )
            await connection.commit()
        before = await every_row(api)
        refused = await mutate(api, "renewIqama", "RenewIqamaInput", IQAMA, {"personId": worker}, individual(SPONSOR))
        assert [(b["sector"], b["code"]) for b in refused["blockers"]] == [("passports", "MEDICAL_INSURANCE_NOT_VALID")]
        assert changed(before, await every_row(api)) == []
