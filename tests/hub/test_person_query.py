"""The headline: one query answers a person's names, iqama, visas and reports across sectors."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from hub.operations import shipped_operations
from tests.conftest import PERSONA, TODAY, Api, individual, officer

HEADLINE = next(op.document for op in shipped_operations() if op.name == "PersonStatus")
PEOPLE = next(op.document for op in shipped_operations() if op.name == "PeopleStatus")


async def test_the_headline_query_answers_visa_iqama_and_reports_for_a_resident(api: Api) -> None:
    result = await api.query(HEADLINE, {"id": PERSONA["absconding_worker"]}, as_=individual("absconding_worker"))

    assert "errors" not in result
    person = result["data"]["person"]
    assert person["id"] == PERSONA["absconding_worker"]
    assert person["kind"] == "RESIDENT"
    assert person["nameEn"] and person["nameAr"]
    iqama = person["passports"]["iqama"]
    assert iqama["status"] == "VALID"
    expires = dt.date.fromisoformat(iqama["expiresOn"]["gregorian"])
    assert (expires.year, expires.month) == (TODAY.year, TODAY.month)
    assert iqama["expiresOn"]["hijri"].startswith("14")
    assert person["passports"]["visas"], "a resident entered on a work visa"
    assert [report["status"] for report in person["passports"]["abscondingReports"]] == ["OPEN"]
    assert isinstance(person["traffic"]["accidentReports"], list)
    assert isinstance(person["civilDefence"]["incidentReports"], list)


async def test_eastern_arabic_digits_find_the_same_person(api: Api) -> None:
    arabic = PERSONA["sponsor"].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    result = await api.query("query($id: ID!) { person(id: $id) { id } }", {"id": arabic}, as_=officer("passports"))
    assert result == {"data": {"person": {"id": PERSONA["sponsor"]}}}


async def test_a_malformed_id_is_invalid_id_and_never_reaches_the_database(api: Api) -> None:
    counter = api.count_statements()
    try:
        result = await api.query('{ person(id: "1000000000") { id } }', as_=officer("passports"))
    finally:
        api.stop_counting(counter)
    assert result["errors"][0]["extensions"]["code"] == "INVALID_ID"
    assert result["errors"][0]["path"] == ["person"]
    assert result["data"] == {"person": None}
    statements = [s for s in counter.statements if "audit_" not in s]
    assert statements == []


async def test_a_valid_but_unknown_id_is_null_without_error(api: Api) -> None:
    result = await api.query('{ person(id: "1000000008") { id } }', as_=officer("traffic"))
    assert result == {"data": {"person": None}}


async def test_an_anonymous_caller_sees_no_personal_data(api: Api) -> None:
    result = await api.query(HEADLINE, {"id": PERSONA["sponsor"]})
    assert result["data"] == {"person": None}
    assert [error["extensions"]["code"] for error in result["errors"]] == ["FORBIDDEN"]


async def test_more_than_one_hundred_ids_is_a_clear_error(api: Api) -> None:
    ids = [PERSONA["sponsor"]] * 101
    result = await api.query(PEOPLE, {"ids": ids}, as_=officer("passports"))
    assert result["errors"][0]["extensions"]["code"] == "TOO_MANY_IDS"
    assert result["data"] is None  # people is a non-null list: its error nulls the whole answer


async def _statements_for(api: Api, ids: list[str]) -> int:
    counter = api.count_statements()
    try:
        result = await api.query(PEOPLE, {"ids": ids}, as_=officer("passports"))
    finally:
        api.stop_counting(counter)
    assert "errors" not in result
    assert len(result["data"]["people"]) == len(ids)
    assert all(person is not None for person in result["data"]["people"])
    return counter.count


async def test_one_hundred_people_cost_the_same_sql_statements_as_one(api: Api) -> None:
    residents = await api.hub.db.fetch(text("SELECT person_id FROM passports_iqamas ORDER BY person_id LIMIT 100"))
    ids = [row[0] for row in residents]
    assert len(ids) == 100
    one = await _statements_for(api, ids[:1])
    hundred = await _statements_for(api, ids)
    print(f"{api.backend}: SQL statements for 1 person: {one}, for 100 people: {hundred}")
    assert one == hundred
    assert one <= 8
