"""Civil affairs: ID cards, family registers, births, deaths and addresses under `person { civilAffairs }`,
the GUARDIAN relation, and `updateNationalAddress`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from hub.contract import Code, RabtError
from hub.contract.principal import Principal
from hub.notifications.models import NotificationRow
from sectors.civil_affairs import SECTOR
from sectors.civil_affairs.models import BirthRow, DeathRow, FamilyRegisterRow, NationalAddressRow
from sectors.civil_affairs.workflows.address import UpdateNationalAddressInput, _address_values
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import fresh_key, kept
from tests.sectors.seeding import seeded_rows
from tests.services.tables import changed, every_row

NAMESPACE = """
query($id: ID!) { person(id: $id) { civilAffairs {
  idCard { version status issuedOn { gregorian } expiresOn { gregorian } }
  idCards { version status issuedOn { gregorian } expiresOn { gregorian } }
  familyRegister { number issuedOn { gregorian } head { id }
                   members { relation addedOn { gregorian } person { id } } }
  birth { bornOn { gregorian } country cityAr cityEn father { id } mother { id } }
  death { diedOn { gregorian } cityAr cityEn }
  address { buildingNumber streetAr streetEn districtAr districtEn cityAr cityEn postalCode additionalNumber
            shortAddress updatedOn { gregorian } }
} } }"""

REGISTERS = """
query($ids: [ID!]!) { people(ids: $ids) { id civilAffairs {
  idCards { version }
  familyRegister { members { relation addedOn { gregorian } person { id bornOn { gregorian } } } }
  birth { bornOn { gregorian } }
  death { diedOn { gregorian } }
  address { postalCode }
} } }"""

UPDATE = """
mutation($input: UpdateNationalAddressInput!) { updateNationalAddress(input: $input) {
  __typename
  ... on NationalAddressUpdated { address { buildingNumber streetAr streetEn districtAr districtEn cityAr cityEn
                                            postalCode additionalNumber shortAddress updatedOn { gregorian } } }
  ... on Refusal { code message messageAr }
} }"""

CIVIL_AFFAIRS = officer("civil_affairs")

ADDRESS = {
    "buildingNumber": "2929",
    "streetAr": "طريق الملك فهد",
    "streetEn": "King Fahd Road",
    "districtAr": "العليا",
    "districtEn": "Al Olaya",
    "cityAr": "الرياض",
    "cityEn": "Riyadh",
    "postalCode": "12214",
    "additionalNumber": "7458",
    "shortAddress": "RRRD2929",
}


async def civil_affairs_of(api: Api, person_id: str, as_: Principal = CIVIL_AFFAIRS) -> dict[str, Any]:
    result = await api.query(NAMESPACE, {"id": person_id}, as_=as_)
    assert "errors" not in result, result["errors"]
    return result["data"]["person"]["civilAffairs"]  # type: ignore[no-any-return]


async def update_address(api: Api, person_id: str, as_: Principal = CIVIL_AFFAIRS, **changes: str) -> dict[str, Any]:
    return await api.query(UPDATE, {"input": {**ADDRESS, "personId": person_id, **changes}}, as_=as_)


async def stored_address(api: Api, person_id: str) -> tuple[Any, ...] | None:
    rows = await api.hub.db.fetch(select(NationalAddressRow.__table__).where(NationalAddressRow.person_id == person_id))
    return tuple(rows[0]) if rows else None


async def adult_with_an_address(api: Api, index: int) -> str:
    """A living, non-persona adult with a seeded address; each test takes its own index, so the
    tests' writes never meet on the shared database."""
    rows = await api.hub.db.fetch(
        select(NationalAddressRow.person_id)
        .where(
            NationalAddressRow.person_id.not_in(list(PERSONA.values())),
            NationalAddressRow.person_id.not_in(select(DeathRow.person_id)),
        )
        .order_by(NationalAddressRow.person_id)
        .offset(index)
        .limit(1)
    )
    assert rows, "the seed should give adults national addresses"
    return str(rows[0][0])


async def minor_and_father(api: Api) -> tuple[str, str]:
    """A non-persona child under 16 (a minor for years yet) whose father is on the birth record."""
    rows = await api.hub.db.fetch(
        select(BirthRow.person_id, BirthRow.father_id)
        .where(
            BirthRow.father_id.is_not(None),
            BirthRow.born_on > TODAY.replace(year=TODAY.year - 16),
            BirthRow.person_id.not_in(list(PERSONA.values())),
        )
        .order_by(BirthRow.person_id)
        .limit(1)
    )
    assert rows, "the seed should record the fathers of children"
    return str(rows[0][0]), str(rows[0][1])


async def register_heads(api: Api, count: int) -> list[str]:
    rows = await api.hub.db.fetch(select(FamilyRegisterRow.head_id).order_by(FamilyRegisterRow.head_id).limit(count))
    return [str(row[0]) for row in rows]


async def deceased(api: Api) -> str:
    rows = await api.hub.db.fetch(select(DeathRow.person_id).order_by(DeathRow.person_id).limit(1))
    assert rows, "the seed should record at least one death"
    return str(rows[0][0])


def errors_of(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["extensions"]["code"], e["extensions"].get("argument")) for e in result.get("errors", [])]


async def test_the_family_head_reads_his_register_with_his_wife_and_the_minor_child(api: Api) -> None:
    found = await civil_affairs_of(api, PERSONA["family_head"], as_=individual("family_head"))
    register = found["familyRegister"]
    assert register["head"] == {"id": PERSONA["family_head"]}
    members = [(m["relation"], m["person"]["id"]) for m in register["members"]]
    assert members[0] == ("HEAD", PERSONA["family_head"])
    minor = await civil_affairs_of(api, PERSONA["minor_child"])
    mother = minor["birth"]["mother"]["id"]
    assert members[1] == ("WIFE", mother)
    assert {relation for relation, _ in members[2:]} <= {"SON", "DAUGHTER"}
    assert PERSONA["minor_child"] in [person for _, person in members[2:]]
    assert minor["familyRegister"]["number"] == register["number"]
    assert found["idCard"]["status"] == "VALID"
    assert found["address"] is not None and found["death"] is None


async def test_the_minor_child_has_a_birth_record_naming_both_parents_and_no_card_or_address(api: Api) -> None:
    found = await civil_affairs_of(api, PERSONA["minor_child"], as_=individual("family_head"))
    birth = found["birth"]
    assert birth["father"] == {"id": PERSONA["family_head"]}
    assert birth["mother"] is not None
    assert birth["country"] == "SAU" and birth["cityAr"] and birth["cityEn"]
    born = dt.date.fromisoformat(birth["bornOn"]["gregorian"])
    assert born > TODAY.replace(year=TODAY.year - 18), "a minor"
    assert (found["idCard"], found["idCards"], found["address"], found["death"]) == (None, [], None, None)


async def test_residents_and_visitors_hold_no_id_card_or_family_register_but_were_born(api: Api) -> None:
    for key in ("absconding_worker", "visitor"):
        found = await civil_affairs_of(api, PERSONA[key])
        assert (found["idCard"], found["idCards"], found["familyRegister"]) == (None, [], None)
        assert found["birth"]["country"] != "SAU"
    assert (await civil_affairs_of(api, PERSONA["absconding_worker"]))["address"] is not None
    assert (await civil_affairs_of(api, PERSONA["visitor"]))["address"] is None


async def test_an_id_card_history_is_latest_first_and_only_the_latest_may_be_current(api: Api) -> None:
    found = await civil_affairs_of(api, PERSONA["sponsor"])
    cards = found["idCards"]
    assert [card["version"] for card in cards] == list(range(len(cards), 0, -1))
    assert found["idCard"] == cards[0]
    assert cards[0]["status"] in ("VALID", "EXPIRED")
    assert all(card["status"] == "REPLACED" for card in cards[1:])
    issued = [card["issuedOn"]["gregorian"] for card in cards]
    assert issued == sorted(issued, reverse=True)


async def test_a_death_is_recorded_with_its_date_and_city(api: Api) -> None:
    death = (await civil_affairs_of(api, await deceased(api)))["death"]
    assert dt.date.fromisoformat(death["diedOn"]["gregorian"]) < TODAY
    assert death["cityAr"] and death["cityEn"]


async def test_seeded_addresses_have_saudi_posts_formats(api: Api) -> None:
    address = (await civil_affairs_of(api, PERSONA["family_head"]))["address"]
    assert re.fullmatch(r"[0-9]{4}", address["buildingNumber"])
    assert re.fullmatch(r"[0-9]{5}", address["postalCode"])
    assert re.fullmatch(r"[0-9]{4}", address["additionalNumber"])
    assert re.fullmatch(r"[A-Z]{4}[0-9]{4}", address["shortAddress"])


async def test_both_parents_are_guardians_of_a_minor_and_nobody_else_is(api: Api) -> None:
    minor = await civil_affairs_of(api, PERSONA["minor_child"])
    mother = minor["birth"]["mother"]["id"]
    for parent in (individual("family_head"), individual(mother)):
        result = await api.query(NAMESPACE, {"id": PERSONA["minor_child"]}, as_=parent)
        assert "errors" not in result, result["errors"]
    for stranger in (individual("sponsor"), individual("visitor")):
        result = await api.query(NAMESPACE, {"id": PERSONA["minor_child"]}, as_=stranger)
        assert "FORBIDDEN" in [code for code, _ in errors_of(result)]
        assert result["data"]["person"] is None


async def test_register_members_are_head_wife_then_children_eldest_first(api: Api) -> None:
    result = await api.query(REGISTERS, {"ids": await register_heads(api, 40)}, as_=CIVIL_AFFAIRS)
    assert "errors" not in result, result["errors"]
    checked = 0
    for person in result["data"]["people"]:
        members = person["civilAffairs"]["familyRegister"]["members"]
        assert members[0]["relation"] == "HEAD"
        rank = {"HEAD": 0, "WIFE": 1, "SON": 2, "DAUGHTER": 2}
        assert [rank[m["relation"]] for m in members] == sorted(rank[m["relation"]] for m in members)
        children = [m for m in members if m["relation"] in ("SON", "DAUGHTER")]
        births = [m["person"]["bornOn"]["gregorian"] for m in children]
        assert births == sorted(births), "children eldest first"
        checked += len(children) > 1
    assert checked >= 10, "enough registers with several children to see their order"


async def test_a_person_registers_their_own_new_address(api: Api) -> None:
    person_id = await adult_with_an_address(api, 0)
    async with kept(api, person_id, NationalAddressRow, NotificationRow):
        result = await update_address(
            api, person_id, as_=individual(person_id), shortAddress=" rrrd2929 ", streetEn="  King   Fahd Road "
        )
        assert "errors" not in result, result["errors"]
        updated = result["data"]["updateNationalAddress"]
        expected = {**ADDRESS, "updatedOn": {"gregorian": TODAY.isoformat()}}
        assert updated == {"__typename": "NationalAddressUpdated", "address": expected}
        assert (await civil_affairs_of(api, person_id))["address"] == expected
        stored = await stored_address(api, person_id)
        assert stored is not None and stored[1:] == (*ADDRESS.values(), TODAY)


async def test_a_parent_registers_an_address_for_a_minor_child(api: Api) -> None:
    child, father = await minor_and_father(api)
    assert await stored_address(api, child) is None, "children have no seeded address"
    async with kept(api, child, NationalAddressRow, NotificationRow):
        result = await update_address(
            api, child, as_=individual(father), buildingNumber="4410", shortAddress="JESA4410"
        )
        assert result["data"]["updateNationalAddress"]["__typename"] == "NationalAddressUpdated"
        assert (await civil_affairs_of(api, child))["address"]["shortAddress"] == "JESA4410"
        stored = await stored_address(api, child)
        assert stored is not None and stored[1:] == (
            *{**ADDRESS, "buildingNumber": "4410", "shortAddress": "JESA4410"}.values(),
            TODAY,
        )


async def test_an_address_sent_again_with_its_key_is_answered_again_and_changes_nothing(api: Api) -> None:
    person_id = await adult_with_an_address(api, 4)
    async with kept(api, person_id, NationalAddressRow, NotificationRow):
        keyed = {"shortAddress": "KEYS2929", "idempotencyKey": fresh_key("national-address-sent-twice")}
        first = await update_address(api, person_id, as_=individual(person_id), **keyed)
        assert first["data"]["updateNationalAddress"]["__typename"] == "NationalAddressUpdated", first
        before = await every_row(api)
        assert await update_address(api, person_id, as_=individual(person_id), **keyed) == first
        assert changed(before, await every_row(api)) == []


async def test_a_deceased_persons_address_is_refused_and_nothing_is_written(api: Api) -> None:
    person_id = await deceased(api)
    before = await stored_address(api, person_id)
    result = await update_address(api, person_id)
    assert "errors" not in result, result["errors"]
    refused = result["data"]["updateNationalAddress"]
    assert (refused["__typename"], refused["code"]) == ("Refusal", "PERSON_DECEASED")
    assert refused["message"] and refused["messageAr"]
    assert await stored_address(api, person_id) == before


async def test_badly_formed_parts_are_refused_naming_the_field_before_any_database_access(api: Api) -> None:
    person_id = await adult_with_an_address(api, 1)
    before = await stored_address(api, person_id)
    bad_id = person_id[:-1] + str((int(person_id[-1]) + 1) % 10)
    cases = [
        ({"personId": bad_id}, "INVALID_ID", "input.personId"),
        ({"buildingNumber": "29a9"}, "BAD_USER_INPUT", "input.buildingNumber"),
        ({"buildingNumber": "292"}, "BAD_USER_INPUT", "input.buildingNumber"),
        ({"postalCode": "1221"}, "BAD_USER_INPUT", "input.postalCode"),
        ({"additionalNumber": "74581"}, "BAD_USER_INPUT", "input.additionalNumber"),
        ({"shortAddress": "RRD29290"}, "BAD_USER_INPUT", "input.shortAddress"),
        ({"streetAr": "King Fahd Road"}, "BAD_USER_INPUT", "input.streetAr"),
        ({"districtEn": "العليا"}, "BAD_USER_INPUT", "input.districtEn"),
        ({"cityEn": "   "}, "BAD_USER_INPUT", "input.cityEn"),
        ({"streetEn": "x" * 61}, "BAD_USER_INPUT", "input.streetEn"),
    ]
    for changes, code, argument in cases:
        counter = api.count_statements()
        try:
            result = await update_address(api, person_id, as_=individual(person_id), **changes)
        finally:
            api.stop_counting(counter)
        assert errors_of(result) == [(code, argument)], changes
        assert [s for s in counter.statements if "audit_" not in s] == []
    assert await stored_address(api, person_id) == before


async def test_nobody_else_may_change_a_persons_address(api: Api) -> None:
    person_id = await adult_with_an_address(api, 2)
    before = await stored_address(api, person_id)
    for stranger in (individual("family_head"), officer("passports")):
        assert errors_of(await update_address(api, person_id, as_=stranger)) == [("FORBIDDEN", None)]
    # A sponsor reads their worker's passports records but may not move the worker's address.
    worker = await update_address(api, PERSONA["absconding_worker"], as_=individual("sponsor"))
    assert errors_of(worker) == [("FORBIDDEN", None)]
    assert await stored_address(api, person_id) == before


async def test_an_officer_changing_the_address_of_an_unknown_id_gets_not_found(api: Api) -> None:
    result = await update_address(api, "1000000008")
    assert [code for code, _ in errors_of(result)] == ["NOT_FOUND"]
    assert await stored_address(api, "1000000008") is None


async def test_ten_thousand_people_each_have_a_birth_and_few_have_died() -> None:
    rows = await seeded_rows(SECTOR, 10_000, "2026:civil_affairs")
    assert len({row["person_id"] for row in rows["civil_affairs_births"]}) == 10_000
    assert 1 <= len(rows["civil_affairs_deaths"]) <= 15
    assert {row["status"] for row in rows["civil_affairs_id_cards"]} == {"valid", "expired", "replaced"}


def address_input(**changes: str) -> UpdateNationalAddressInput:
    fields = {**ADDRESS, **changes}
    return UpdateNationalAddressInput(
        person_id="1000000008",
        building_number=fields["buildingNumber"],
        street_ar=fields["streetAr"],
        street_en=fields["streetEn"],
        district_ar=fields["districtAr"],
        district_en=fields["districtEn"],
        city_ar=fields["cityAr"],
        city_en=fields["cityEn"],
        postal_code=fields["postalCode"],
        additional_number=fields["additionalNumber"],
        short_address=fields["shortAddress"],
    )


def refused_field(**changes: str) -> tuple[str, str]:
    with pytest.raises(RabtError) as error:
        _address_values(address_input(**changes))
    assert error.value.code is Code.BAD_USER_INPUT
    return error.value.extensions["argument"], error.value.message


def test_each_part_of_an_address_is_checked_by_its_own_rule_and_named() -> None:
    assert _address_values(address_input(shortAddress=" jesa4410 ")) == {
        "building_number": "2929",
        "street_ar": "طريق الملك فهد",
        "street_en": "King Fahd Road",
        "district_ar": "العليا",
        "district_en": "Al Olaya",
        "city_ar": "الرياض",
        "city_en": "Riyadh",
        "postal_code": "12214",
        "additional_number": "7458",
        "short_address": "JESA4410",
    }
    assert refused_field(buildingNumber="29290") == (
        "input.buildingNumber",
        "input.buildingNumber: exactly 4 digits (0-9).",
    )
    assert refused_field(streetAr="x") == ("input.streetAr", "input.streetAr: written in Arabic letters.")
    assert refused_field(streetEn="ف") == (
        "input.streetEn",
        "input.streetEn: written in Latin letters, digits and . , ' / -.",
    )
    assert refused_field(districtAr="x") == ("input.districtAr", "input.districtAr: written in Arabic letters.")
    assert refused_field(districtEn="ف") == (
        "input.districtEn",
        "input.districtEn: written in Latin letters, digits and . , ' / -.",
    )
    assert refused_field(cityAr="x") == ("input.cityAr", "input.cityAr: written in Arabic letters.")
    assert refused_field(cityEn="ف") == (
        "input.cityEn",
        "input.cityEn: written in Latin letters, digits and . , ' / -.",
    )
    assert refused_field(postalCode="122145") == ("input.postalCode", "input.postalCode: exactly 5 digits (0-9).")
    assert refused_field(additionalNumber="745") == (
        "input.additionalNumber",
        "input.additionalNumber: exactly 4 digits (0-9).",
    )
    assert refused_field(shortAddress="RRRD292") == (
        "input.shortAddress",
        "input.shortAddress: 4 Latin letters then 4 digits, e.g. RRRD2929.",
    )


def test_streets_and_districts_take_60_characters_and_cities_40() -> None:
    values = _address_values(
        address_input(streetAr="ش" * 60, streetEn="s" * 60, districtAr="ح" * 60, districtEn="d" * 60)
    )
    assert [values[name] for name in ("street_ar", "street_en", "district_ar", "district_en")] == [
        "ش" * 60,
        "s" * 60,
        "ح" * 60,
        "d" * 60,
    ]
    for field, long in (
        ("streetAr", "ش" * 61),
        ("streetEn", "s" * 61),
        ("districtAr", "ح" * 61),
        ("districtEn", "d" * 61),
    ):
        assert refused_field(**{field: long}) == (f"input.{field}", f"input.{field}: between 1 and 60 characters.")
    values = _address_values(address_input(cityAr="م" * 40, cityEn="c" * 40))
    assert (values["city_ar"], values["city_en"]) == ("م" * 40, "c" * 40)
    for field, long in (("cityAr", "م" * 41), ("cityEn", "c" * 41)):
        assert refused_field(**{field: long}) == (f"input.{field}", f"input.{field}: between 1 and 40 characters.")


def test_a_short_address_is_four_latin_letters_then_four_digits_trimmed_and_in_capitals() -> None:
    assert _address_values(address_input(shortAddress="\tazaz0909 "))["short_address"] == "AZAZ0909"
    for wrong in ("RRRD29290", "RRRDD2929", "RRR2929", "2929RRRD", "RRRD292A", "RÉRD2929", "RR_D2929", "RRRD 2929"):
        assert refused_field(shortAddress=wrong)[0] == "input.shortAddress", wrong


async def test_a_registered_address_is_told_to_its_person_in_both_languages(api: Api) -> None:
    person_id = await adult_with_an_address(api, 3)
    async with kept(api, person_id, NationalAddressRow, NotificationRow):
        result = await update_address(api, person_id, as_=individual(person_id), shortAddress="AZAZ0909")
        assert result["data"]["updateNationalAddress"]["__typename"] == "NationalAddressUpdated", result
        rows = await api.hub.db.fetch(
            select(
                NotificationRow.sector, NotificationRow.kind, NotificationRow.message_en, NotificationRow.message_ar
            ).where(NotificationRow.message_en.contains("AZAZ0909"))
        )
        assert [tuple(row) for row in rows] == [
            (
                "civil_affairs",
                "service_completed",
                "Your national address was updated: AZAZ0909.",
                "حُدّث عنوانك الوطني: AZAZ0909.",
            )
        ]
        told = await api.hub.db.fetch(
            select(NotificationRow.person_id).where(NotificationRow.message_en.contains("AZAZ0909"))
        )
        assert [row[0] for row in told] == [person_id]


async def test_a_deceased_persons_address_is_refused_in_both_languages(api: Api) -> None:
    result = await update_address(api, await deceased(api))
    refused = result["data"]["updateNationalAddress"]
    assert refused == {
        "__typename": "Refusal",
        "code": "PERSON_DECEASED",
        "message": "This person is recorded as deceased; their national address cannot be changed.",
        "messageAr": "هذا الشخص مسجل متوفى، ولا يمكن تعديل عنوانه الوطني.",
    }
