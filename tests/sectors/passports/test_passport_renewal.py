"""Renewing a Saudi passport, and the medical insurance an iqama renewal needs, over HTTP."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sectors.passports.models import MedicalInsuranceRow, PassportRow
from sectors.passports.workflows import passport as workflow
from sectors.traffic.models import ViolationRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import change, days, fresh_key, kept
from tests.sectors.passports.helpers import SPONSOR, allowed_worker, bad_id, blockers, last_notice, mutate, restored
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
        asked = {"personId": person, "idempotencyKey": fresh_key("passport-renewal-sent-twice")}
        renewed = await mutate(api, "renewPassport", "RenewPassportInput", RENEWED, asked, individual(person))
        again = await mutate(api, "renewPassport", "RenewPassportInput", RENEWED, asked, individual(person))
        assert again == renewed, "sent again with its key: answered again, renewed once"
        passport = renewed["passport"]
        assert passport["number"] != number and passport["issuingCountry"] == "SAU" and passport["status"] == "VALID"
        assert passport["expiresOn"]["gregorian"] == str(TODAY + term)
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
    yesterday = TODAY - dt.timedelta(days=1)
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


FULL = """... on PassportRenewed {
  passport { number issuingCountry status issuedOn { gregorian } expiresOn { gregorian } } }"""


def passport(number: str, country: str, status: str, issued: dt.date, term_days: int) -> dict[str, Any]:
    return dict(
        number=number,
        issuing_country=country,
        status=status,
        issued_on=issued,
        expires_on=issued + dt.timedelta(days=term_days),
    )


async def held(api: Api, person: str) -> dict[str, str]:
    async with api.hub.db.connect() as connection:
        rows = await connection.execute(
            select(PassportRow.number, PassportRow.status).where(PassportRow.person_id == person)
        )
        return {number: status for number, status in rows}


async def test_the_latest_saudi_passport_valid_or_expired_is_renewed_for_its_term(api: Api) -> None:
    """Five years for a term up to five years and 30 days, ten past it; the one replaced is the
    latest Saudi passport valid or expired, whatever else the citizen holds."""
    person = (await citizen_with_passport(api))[0]
    async with kept(api, person, PassportRow):
        latest = passport("A10000009", "SAU", "expired", days(-1900), 1856)
        others = [
            passport("A10000001", "SAU", "expired", days(-4000), 3650),  # older; the first by number
            passport("A10000008", "USA", "valid", days(-1), 3650),  # not Saudi
            passport("A10000007", "SAU", "cancelled", days(-2), 3650),  # replaced already
        ]
        await change(
            api,
            delete(PassportRow).where(PassportRow.person_id == person),
            insert(PassportRow).values([{**row, "person_id": person} for row in (latest, *others)]),
        )
        renewed = (
            await mutate(api, "renewPassport", "RenewPassportInput", FULL, {"personId": person}, individual(person))
        )["passport"]
        number = renewed.pop("number")
        assert re.fullmatch(r"A\d{8}", number), number
        assert renewed == {
            "issuingCountry": "SAU",
            "status": "VALID",
            "issuedOn": {"gregorian": str(TODAY)},
            "expiresOn": {"gregorian": str(days(3650))},
        }
        assert await held(api, person) == {
            "A10000009": "cancelled",
            "A10000001": "expired",
            "A10000008": "valid",
            "A10000007": "cancelled",
            number: "valid",
        }
        assert await last_notice(api, person) == (
            "service_completed",
            f"Your new passport {number} was issued, valid until {days(3650)}.",
            f"صدر جواز سفرك الجديد رقم {number}، صالح حتى {days(3650)}.",
        )
        # Two issued the same day, of five years and 30 days: the first by number, for five years.
        await change(
            api,
            delete(PassportRow).where(PassportRow.person_id == person),
            insert(PassportRow).values(
                [
                    {**passport(number, "SAU", "valid", days(-100), 1855), "person_id": person}
                    for number in ("A10000003", "A10000002")
                ]
            ),
        )
        renewed = (
            await mutate(api, "renewPassport", "RenewPassportInput", FULL, {"personId": person}, individual(person))
        )["passport"]
        assert renewed["expiresOn"] == {"gregorian": str(days(1825))}
        assert await held(api, person) == {"A10000002": "cancelled", "A10000003": "valid", renewed["number"]: "valid"}


async def test_a_passport_that_changed_after_the_rules_saw_it_is_not_renewed(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request reported the passport lost between the rules and the write: before the
    renewal read it, or between its read and its write. Refused, and no passport issued."""
    person, number, _, _ = await citizen_with_passport(api)
    lost = update(PassportRow).where(PassportRow.person_id == person).values(status="lost")
    real_serve, real_updated = workflow.serve, workflow.updated

    async def lost_before_read(context: Any, service: Any, person_id: str, data: Any, answer: Any, work: Any) -> Any:
        async def raced(session: AsyncSession) -> Any:
            await session.execute(lost)
            return await work(session)

        return await real_serve(context, service, person_id, data, answer, raced)

    async def lost_before_write(session: AsyncSession, statement: Any) -> int:
        await session.execute(lost)
        return await real_updated(session, statement)

    for name, fake in (("serve", lost_before_read), ("updated", lost_before_write)):
        async with kept(api, person, PassportRow):
            monkeypatch.setattr(workflow, name, fake)
            refused = await mutate(
                api, "renewPassport", "RenewPassportInput", RENEWED, {"personId": person}, individual(person)
            )
            monkeypatch.undo()
            assert (refused["code"], refused["message"], refused["messageAr"]) == (
                "PASSPORT_CHANGED",
                "The passport changed while this request was decided; ask again.",
                "تغير جواز السفر أثناء معالجة الطلب؛ أعد المحاولة.",
            ), name
            assert set((await held(api, person)).values()) == {"lost"} and number in await held(api, person), name


async def test_a_new_passport_number_is_an_a_and_eight_digits_and_a_bad_id_is_named(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = (await citizen_with_passport(api))[0]
    async with kept(api, person, PassportRow):
        monkeypatch.setattr(workflow.secrets, "randbelow", lambda bound: bound - 1)  # the largest draw
        renewed = await mutate(
            api, "renewPassport", "RenewPassportInput", RENEWED, {"personId": person}, officer("passports")
        )
        assert renewed["passport"]["number"] == "A99999999"
    assert await bad_id(api, "renewPassport", "RenewPassportInput", {}) == ("INVALID_ID", "input.personId")
