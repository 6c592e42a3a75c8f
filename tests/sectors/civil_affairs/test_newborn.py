"""Registering a newborn over HTTP: a parent in a family register, within 30 days of the birth;
the child gets a valid national ID (1…), a birth record naming both parents and an entry in the
register, and their parents read them as guardians. Every refusal changes no table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, select

from hub.contract.national_id import normalize_id
from hub.identity.models import PersonRow
from hub.notifications.models import NotificationRow
from sectors.civil_affairs.models import BirthRow, DeathRow, FamilyMemberRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.services.tables import changed, every_row
from tests.services.test_eligibility import asked, codes, data

REGISTER = """mutation($input: RegisterNewbornInput!) { registerNewborn(input: $input) {
  __typename
  ... on NewbornRegistered { nationalId registerNumber bornOn { gregorian } child { id nameEn kind } }
  ... on Refusal { code blockers { code } }
} }"""
CHILD = """query($id: ID!) { person(id: $id) { id sex civilAffairs {
  birth { bornOn { gregorian } father { id } mother { id } cityEn }
  familyRegister { number members { relation person { id } } }
} } }"""

HEAD = PERSONA["family_head"]
CIVIL = officer("civil_affairs")


async def wife_of(api: Api, head: str) -> tuple[str, str]:
    """A wife in the head's register, and the register's number."""
    async with api.hub.db.connect() as connection:
        number = (
            await connection.execute(select(FamilyMemberRow.register_number).where(FamilyMemberRow.person_id == head))
        ).scalar_one()
        wife = (
            await connection.execute(
                select(FamilyMemberRow.person_id)
                .where(FamilyMemberRow.register_number == number, FamilyMemberRow.relation == "wife")
                .order_by(FamilyMemberRow.person_id)
                .limit(1)
            )
        ).scalar_one()
    return wife, number


def newborn(person_id: str, days_old: int = 3, **changes: Any) -> dict[str, Any]:
    return {
        "input": {
            "personId": person_id,
            "nameAr": "ريم فهد",
            "nameEn": "Reem Fahd",
            "sex": "FEMALE",
            "bornOn": str(TODAY - dt.timedelta(days=days_old)),
            "cityAr": "الرياض",
            "cityEn": "Riyadh",
            **changes,
        }
    }


async def _forget(api: Api, child: str) -> None:
    async with api.hub.db.connect() as connection:
        await connection.execute(delete(FamilyMemberRow).where(FamilyMemberRow.person_id == child))
        await connection.execute(delete(BirthRow).where(BirthRow.person_id == child))
        await connection.execute(delete(PersonRow).where(PersonRow.id == child))
        await connection.commit()


async def test_the_father_registers_a_newborn_who_gets_an_id_a_birth_and_a_register_entry(api: Api) -> None:
    wife, number = await wife_of(api, HEAD)
    answer = await api.query(REGISTER, newborn(HEAD, motherId=wife), as_=individual(HEAD))
    registered = answer["data"]["registerNewborn"]
    child = registered["nationalId"]
    try:
        assert registered["__typename"] == "NewbornRegistered", answer
        assert normalize_id(child) == child and child.startswith("1")
        assert registered["registerNumber"] == number
        assert registered["child"] == {"id": child, "nameEn": "Reem Fahd", "kind": "CITIZEN"}
        async with api.hub.db.connect() as connection:
            told = await connection.execute(
                select(NotificationRow.person_id).where(NotificationRow.message_en.contains(child))
            )
            assert list(told.scalars()) == [HEAD]
        for reader in (individual(HEAD), individual(wife)):  # both parents, as guardians of a minor
            seen = await api.query(CHILD, {"id": child}, as_=reader)
            assert "errors" not in seen, seen
            person = seen["data"]["person"]
            assert person["sex"] == "FEMALE"
            birth = person["civilAffairs"]["birth"]
            assert (birth["father"]["id"], birth["mother"]["id"], birth["cityEn"]) == (HEAD, wife, "Riyadh")
            register = person["civilAffairs"]["familyRegister"]
            assert register["number"] == number
            assert {"relation": "DAUGHTER", "person": {"id": child}} in register["members"]
    finally:
        await _forget(api, child)


async def test_the_mother_registers_alone_and_the_father_is_the_registers_head(api: Api) -> None:
    wife, _ = await wife_of(api, HEAD)
    answer = await api.query(REGISTER, newborn(wife, sex="MALE"), as_=individual(wife))
    child = answer["data"]["registerNewborn"]["nationalId"]
    try:
        seen = (await api.query(CHILD, {"id": child}, as_=CIVIL))["data"]["person"]["civilAffairs"]
        assert (seen["birth"]["father"]["id"], seen["birth"]["mother"]["id"]) == (HEAD, wife)
        assert {"relation": "SON", "person": {"id": child}} in seen["familyRegister"]["members"]
    finally:
        await _forget(api, child)


async def test_late_births_a_mother_outside_the_register_and_strangers_change_nothing(api: Api) -> None:
    wife, _ = await wife_of(api, HEAD)
    before = await every_row(api)
    late = await api.query(REGISTER, newborn(HEAD, days_old=31, motherId=wife), as_=individual(HEAD))
    assert late["data"]["registerNewborn"]["code"] == "REGISTRATION_WINDOW_CLOSED"
    in_time = await api.query(REGISTER, newborn(HEAD, days_old=30, motherId=PERSONA["sponsor"]), as_=CIVIL)
    assert in_time["data"]["registerNewborn"]["code"] == "MOTHER_NOT_IN_REGISTER"
    unnamed = await api.query(REGISTER, newborn(HEAD), as_=individual(HEAD))
    assert unnamed["data"]["registerNewborn"]["code"] == "MOTHER_NOT_IN_REGISTER"
    future = await api.query(REGISTER, newborn(HEAD, days_old=-1, motherId=wife), as_=individual(HEAD))
    assert future["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.bornOn"}
    latin = await api.query(REGISTER, newborn(HEAD, nameAr="Reem", motherId=wife), as_=individual(HEAD))
    assert latin["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.nameAr"}
    stranger = await api.query(REGISTER, newborn(HEAD, motherId=wife), as_=individual("sponsor"))
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert changed(before, await every_row(api)) == []


async def test_only_a_living_parent_in_a_family_register_may_register_as_eligibility_says(api: Api) -> None:
    assert codes(await asked(api, "REGISTER_NEWBORN", PERSONA["absconding_worker"], CIVIL)) == [
        ("civil_affairs", "NOT_IN_A_FAMILY_REGISTER")
    ]
    assert codes(await asked(api, "REGISTER_NEWBORN", PERSONA["minor_child"], CIVIL)) == [
        ("civil_affairs", "NOT_IN_A_FAMILY_REGISTER")
    ]
    assert await asked(api, "REGISTER_NEWBORN", HEAD, individual(HEAD)) == []
    died = insert(DeathRow).values(person_id=HEAD, died_on=TODAY, city_ar="الرياض", city_en="Riyadh")
    async with data(api, died, undo=[delete(DeathRow).where(DeathRow.person_id == HEAD)]):
        assert codes(await asked(api, "REGISTER_NEWBORN", HEAD, CIVIL)) == [("civil_affairs", "PERSON_DECEASED")]
