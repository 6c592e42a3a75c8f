"""Registering a newborn over HTTP: a parent in a family register, within 30 days of the birth;
the child gets a valid national ID (1…), a birth record naming both parents and an entry in the
register, and their parents read them as guardians. Every refusal changes no table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from hub.contract import Code, RabtError, Sex
from hub.contract.national_id import normalize_id
from hub.identity.models import PersonRow
from hub.notifications.models import NotificationRow
from sectors.civil_affairs.models import BirthRow, DeathRow, FamilyMemberRow, FamilyRegisterRow
from sectors.civil_affairs.workflows.births import RegisterNewbornInput, _newborn_values
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import fresh_key, kept, newest_notice, notices_since
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


async def test_a_birth_sent_again_with_its_key_is_answered_again_and_registered_once(api: Api) -> None:
    wife, _ = await wife_of(api, HEAD)
    keyed = newborn(HEAD, motherId=wife, idempotencyKey=fresh_key("newborn-sent-twice"))
    async with kept(api, HEAD, NotificationRow):
        first = await api.query(REGISTER, keyed, as_=individual(HEAD))
        child = first["data"]["registerNewborn"]["nationalId"]
        try:
            assert first["data"]["registerNewborn"]["__typename"] == "NewbornRegistered", first
            before = await every_row(api)
            assert await api.query(REGISTER, keyed, as_=individual(HEAD)) == first
            assert changed(before, await every_row(api)) == []
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


def newborn_input(days_old: int = 3, **changes: str) -> RegisterNewbornInput:
    fields = {"nameAr": "ريم فهد", "nameEn": "Reem Fahd", "cityAr": "الرياض", "cityEn": "Riyadh", **changes}
    return RegisterNewbornInput(
        person_id=HEAD,
        name_ar=fields["nameAr"],
        name_en=fields["nameEn"],
        sex=Sex.FEMALE,
        born_on=TODAY - dt.timedelta(days=days_old),
        city_ar=fields["cityAr"],
        city_en=fields["cityEn"],
    )


def refused_field(days_old: int = 3, **changes: str) -> tuple[str, str]:
    with pytest.raises(RabtError) as error:
        _newborn_values(newborn_input(days_old, **changes), TODAY)
    assert error.value.code is Code.BAD_USER_INPUT
    return error.value.extensions["argument"], error.value.message


def test_a_newborns_names_take_120_characters_and_cities_40_each_in_its_letters() -> None:
    names = dict(nameAr="ر" * 120, nameEn="R" * 120, cityAr="م" * 40, cityEn="c" * 40)
    assert _newborn_values(newborn_input(0, **names), TODAY) == {
        "name_ar": "ر" * 120,
        "name_en": "R" * 120,
        "city_ar": "م" * 40,
        "city_en": "c" * 40,
    }
    for field, long, limit in (("nameAr", "ر", 120), ("nameEn", "R", 120), ("cityAr", "م", 40), ("cityEn", "c", 40)):
        assert refused_field(**{field: long * (limit + 1)}) == (
            f"input.{field}",
            f"input.{field}: between 1 and {limit} characters.",
        )
    assert refused_field(nameAr="Reem") == ("input.nameAr", "input.nameAr: written in Arabic letters.")
    assert refused_field(cityAr="Riyadh") == ("input.cityAr", "input.cityAr: written in Arabic letters.")
    latin = "written in Latin letters, digits and . , ' / -."
    assert refused_field(nameEn="ريم") == ("input.nameEn", f"input.nameEn: {latin}")
    assert refused_field(cityEn="الرياض") == ("input.cityEn", f"input.cityEn: {latin}")


def test_a_birth_today_is_taken_and_one_tomorrow_refused_first() -> None:
    assert _newborn_values(newborn_input(0), TODAY)["name_en"] == "Reem Fahd"
    # The day is checked before the names: a wrong name too is not what is reported.
    assert refused_field(-1, nameAr="Reem") == ("input.bornOn", "input.bornOn: not after today.")


async def test_each_value_of_a_registered_birth_is_written_and_told(api: Api) -> None:
    wife, number = await wife_of(api, HEAD)
    born_on = TODAY - dt.timedelta(days=30)
    last = await newest_notice(api)
    answer = await api.query(REGISTER, newborn(HEAD, days_old=30, motherId=wife, sex="MALE"), as_=individual(HEAD))
    child = answer["data"]["registerNewborn"]["nationalId"]
    try:
        assert answer["data"]["registerNewborn"]["bornOn"] == {"gregorian": str(born_on)}, answer
        person = select(
            PersonRow.kind,
            PersonRow.name_ar,
            PersonRow.name_en,
            PersonRow.sex,
            PersonRow.birth_on,
            PersonRow.nationality,
        ).where(PersonRow.id == child)
        assert [tuple(row) for row in await api.hub.db.fetch(person)] == [
            ("citizen", "ريم فهد", "Reem Fahd", "male", born_on, "SAU")
        ]
        birth = select(
            BirthRow.born_on,
            BirthRow.country,
            BirthRow.city_ar,
            BirthRow.city_en,
            BirthRow.father_id,
            BirthRow.mother_id,
        ).where(BirthRow.person_id == child)
        assert [tuple(row) for row in await api.hub.db.fetch(birth)] == [
            (born_on, "SAU", "الرياض", "Riyadh", HEAD, wife)
        ]
        member = select(FamilyMemberRow.register_number, FamilyMemberRow.relation, FamilyMemberRow.added_on).where(
            FamilyMemberRow.person_id == child
        )
        assert [tuple(row) for row in await api.hub.db.fetch(member)] == [(number, "son", TODAY)]
        assert await notices_since(api, last) == [
            (
                HEAD,
                "civil_affairs",
                "service_completed",
                f"The birth is registered: the child's national ID is {child}.",
                f"سُجل المولود، ورقم هويته الوطنية {child}.",
            )
        ]
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(delete(NotificationRow).where(NotificationRow.id > last))
            await connection.commit()
        await _forget(api, child)


MESSAGES = """mutation($input: RegisterNewbornInput!) { registerNewborn(input: $input) {
  ... on Refusal { code message messageAr }
} }"""


async def test_the_mother_must_be_a_wife_in_the_fathers_own_register(api: Api) -> None:
    wife, number = await wife_of(api, HEAD)
    other_head = (
        await api.hub.db.fetch(
            select(FamilyRegisterRow.head_id)
            .join(FamilyMemberRow, FamilyMemberRow.register_number == FamilyRegisterRow.number)
            .where(FamilyRegisterRow.number != number, FamilyMemberRow.relation == "wife")
            .order_by(FamilyRegisterRow.head_id)
            .limit(1)
        )
    )[0][0]
    other_wife, _ = await wife_of(api, other_head)
    before = await every_row(api)
    # The register's head himself, and a wife in another register: neither is the mother of his child.
    for mother in (HEAD, other_wife):
        refused = await api.query(MESSAGES, newborn(HEAD, motherId=mother), as_=individual(HEAD))
        assert refused["data"]["registerNewborn"] == {
            "code": "MOTHER_NOT_IN_REGISTER",
            "message": "The mother must be a wife in the father's family register.",
            "messageAr": "يجب أن تكون الأم زوجة مقيدة في سجل أسرة الأب.",
        }, mother
    late = await api.query(MESSAGES, newborn(HEAD, days_old=31, motherId=wife), as_=individual(HEAD))
    assert late["data"]["registerNewborn"] == {
        "code": "REGISTRATION_WINDOW_CLOSED",
        "message": (
            "A birth is registered online within 30 days; a later one is registered at a civil affairs office, "
            "where the late-registration fine is paid."
        ),
        "messageAr": (
            "يسجل المولود إلكترونياً خلال 30 يوماً من ولادته؛ وبعدها يسجل في مكتب الأحوال المدنية مع دفع غرامة التأخير."
        ),
    }
    assert changed(before, await every_row(api)) == []


async def test_a_malformed_parent_id_is_refused_naming_its_argument(api: Api) -> None:
    wife, _ = await wife_of(api, HEAD)
    before = await every_row(api)
    for changes, argument in (
        ({"personId": HEAD[:-1] + str((int(HEAD[-1]) + 1) % 10), "motherId": wife}, "input.personId"),
        ({"motherId": wife[:-1] + str((int(wife[-1]) + 1) % 10)}, "input.motherId"),
    ):
        data = newborn(HEAD)
        data["input"].update(changes)
        answer = await api.query(REGISTER, data, as_=CIVIL)
        assert answer["errors"][0]["extensions"] == {"code": "INVALID_ID", "argument": argument}, changes
    assert changed(before, await every_row(api)) == []
