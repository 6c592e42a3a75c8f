"""Safety permits over HTTP: applying (a retail shop or an office at once, the others pending an
inspection; never a visitor) and renewing (the owner's own permit, not suspended or pending, from
90 days before expiry). Refusals match eligibility and change no table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select, update

from hub.contract.calendar import years_after
from sectors.civil_defence.models import SafetyPermitRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.services.tables import changed, every_row
from tests.services.test_eligibility import asked, codes, data

APPLY = """mutation($input: ApplySafetyPermitInput!) { applySafetyPermit(input: $input) {
  __typename ... on SafetyPermitApplied { permit { number status establishmentKind expiresOn { gregorian } } }
  ... on Refusal { code } } }"""
RENEW = """mutation($input: RenewSafetyPermitInput!) { renewSafetyPermit(input: $input) {
  __typename ... on SafetyPermitRenewed { permit { number status issuedOn { gregorian } expiresOn { gregorian } } }
  ... on Refusal { code } } }"""

SPONSOR, HEAD = PERSONA["sponsor"], PERSONA["family_head"]
CIVIL_DEFENCE = officer("civil_defence")


def application(kind: str, person_id: str = HEAD) -> dict[str, Any]:
    return {
        "input": {
            "personId": person_id,
            "establishmentNameAr": "مخبز الحي",
            "establishmentNameEn": "Neighbourhood Bakery",
            "establishmentKind": kind,
            "city": "Riyadh",
        }
    }


async def permit_of(api: Api, owner: str, status: str) -> SafetyPermitRow:
    async with api.hub.db.connect() as connection:
        return (  # type: ignore[no-any-return]
            await connection.execute(
                select(SafetyPermitRow)
                .where(SafetyPermitRow.owner_id == owner, SafetyPermitRow.status == status)
                .order_by(SafetyPermitRow.number)
                .limit(1)
            )
        ).one()


async def test_a_shop_gets_its_permit_at_once_and_a_restaurant_waits_for_inspection(api: Api) -> None:
    numbers = []
    try:
        for kind, status in (("RETAIL", "VALID"), ("RESTAURANT", "PENDING")):
            answer = await api.query(APPLY, application(kind), as_=individual(HEAD))
            permit = answer["data"]["applySafetyPermit"]["permit"]
            numbers.append(permit["number"])
            assert (permit["status"], permit["establishmentKind"]) == (status, kind), answer
            assert permit["expiresOn"]["gregorian"] == str(years_after(TODAY, 1))
        assert codes(await asked(api, "RENEW_SAFETY_PERMIT", HEAD, individual(HEAD), numbers[1])) == [
            ("civil_defence", "PERMIT_PENDING")
        ]
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(delete(SafetyPermitRow).where(SafetyPermitRow.number.in_(numbers)))
            await connection.commit()


async def test_a_visitor_cannot_apply_and_nobody_else_may_for_an_owner(api: Api) -> None:
    assert codes(await asked(api, "APPLY_SAFETY_PERMIT", PERSONA["visitor"], CIVIL_DEFENCE)) == [
        ("civil_defence", "VISITOR_CANNOT_OWN")
    ]
    before = await every_row(api)
    stranger = await api.query(APPLY, application("OFFICE"), as_=individual("sponsor"))
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    empty = await api.query(APPLY, {"input": {**application("OFFICE")["input"], "city": " "}}, as_=individual(HEAD))
    assert empty["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.city"}
    assert changed(before, await every_row(api)) == []


async def test_an_expired_permit_is_renewed_for_a_year_from_today(api: Api) -> None:
    permit = await permit_of(api, SPONSOR, "expired")
    kept = {"issued_on": permit.issued_on, "expires_on": permit.expires_on, "status": permit.status}
    try:
        answer = await api.query(
            RENEW, {"input": {"personId": SPONSOR, "number": permit.number.lower()}}, as_=individual(SPONSOR)
        )
        renewed = answer["data"]["renewSafetyPermit"]["permit"]
        assert renewed["status"] == "VALID", answer
        assert renewed["issuedOn"]["gregorian"] == str(TODAY)
        assert renewed["expiresOn"]["gregorian"] == str(years_after(TODAY, 1))
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(
                update(SafetyPermitRow).where(SafetyPermitRow.number == permit.number).values(kept)
            )
            await connection.commit()


async def test_each_renewal_rule_blocks_as_eligibility_says(api: Api) -> None:
    valid = await permit_of(api, HEAD, "valid")
    number = valid.number
    assert codes(await asked(api, "RENEW_SAFETY_PERMIT", SPONSOR, CIVIL_DEFENCE, number)) == [
        ("civil_defence", "PERMIT_NOT_FOUND")
    ]
    assert codes(await asked(api, "RENEW_SAFETY_PERMIT", HEAD, individual(HEAD), number)) == [
        ("civil_defence", "TOO_EARLY_TO_RENEW")
    ]
    restore = (
        update(SafetyPermitRow)
        .where(SafetyPermitRow.number == number)
        .values(status=valid.status, expires_on=valid.expires_on)
    )
    soon = TODAY + dt.timedelta(days=90)
    async with data(
        api,
        update(SafetyPermitRow).where(SafetyPermitRow.number == number).values(status="suspended"),
        undo=[restore],
    ):
        assert codes(await asked(api, "RENEW_SAFETY_PERMIT", HEAD, individual(HEAD), number)) == [
            ("civil_defence", "PERMIT_SUSPENDED"),
            ("civil_defence", "TOO_EARLY_TO_RENEW"),
        ]
    async with data(
        api, update(SafetyPermitRow).where(SafetyPermitRow.number == number).values(expires_on=soon), undo=[restore]
    ):
        assert await asked(api, "RENEW_SAFETY_PERMIT", HEAD, individual(HEAD), number) == []
    bad = await api.query(RENEW, {"input": {"personId": HEAD, "number": "XX1234567890"}}, as_=individual(HEAD))
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.number"}


async def test_an_application_for_a_malformed_id_is_refused_naming_the_argument(api: Api) -> None:
    before = await every_row(api)
    bad = await api.query(APPLY, {"input": {**application("OFFICE")["input"], "personId": "12345"}}, as_=CIVIL_DEFENCE)
    assert bad["errors"][0]["extensions"] == {"code": "INVALID_ID", "argument": "input.personId"}
    assert changed(before, await every_row(api)) == []
