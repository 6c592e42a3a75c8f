"""Traffic: licences, vehicles, violations and accidents under `person { traffic }`, and `objectToTrafficViolation`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from hub.contract.principal import Principal, Role
from sectors.traffic import SECTOR
from sectors.traffic.models import ViolationRow
from sectors.traffic.types import PLATE_LETTERS
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.seeding import descending, seeded_rows

NAMESPACE = """
query($id: ID!) { person(id: $id) { traffic {
  drivingLicence { number licenceClass status issuedOn { gregorian } expiresOn { gregorian } }
  vehicles { sequenceNumber make model modelYear insuranceStatus registrationExpiresOn { gregorian }
             plate { digits digitsAr lettersEn lettersAr text textAr kind colour } }
  violations { number kind cityEn cityAr fineSar status committedOn { gregorian } dueOn { gregorian }
               objectedOn { gregorian } objectionReason }
  accidentReports { reportNumber status handledBy occurredOn { gregorian } faultPercent closedOn { gregorian } }
} } }"""

OBJECT = """
mutation($input: ObjectToTrafficViolationInput!) { objectToTrafficViolation(input: $input) {
  __typename
  ... on TrafficViolationObjected { violation { number status objectedOn { gregorian } objectionReason } }
  ... on Refusal { code message messageAr }
} }"""

MANY = """
query($ids: [ID!]!) { people(ids: $ids) { id traffic {
  drivingLicence { number }
  vehicles { sequenceNumber modelYear }
  violations { number committedOn { gregorian } }
  accidentReports { reportNumber occurredOn { gregorian } }
} } }"""

TRAFFIC = officer("traffic")


async def traffic_of(api: Api, person_id: str, as_: Principal = TRAFFIC) -> dict[str, Any]:
    result = await api.query(NAMESPACE, {"id": person_id}, as_=as_)
    assert "errors" not in result, result["errors"]
    return result["data"]["person"]["traffic"]  # type: ignore[no-any-return]


async def object_to(
    api: Api, person_id: str, number: str, reason: str = "I was not driving that day.", as_: Principal = TRAFFIC
) -> dict[str, Any]:
    input = {"personId": person_id, "violationNumber": number, "reason": reason}
    return await api.query(OBJECT, {"input": input}, as_=as_)


async def stored(api: Api, number: str) -> tuple[Any, ...]:
    rows = await api.hub.db.fetch(
        select(ViolationRow.status, ViolationRow.objected_on, ViolationRow.objection_reason).where(
            ViolationRow.number == number
        )
    )
    return tuple(rows[0])


async def recent_unpaid_violation(api: Api, index: int) -> tuple[str, str]:
    """(violator, number) of a seeded unpaid violation inside the objection window, not a persona's;
    each test takes its own index, so the tests' writes never meet on a shared database."""
    rows = await api.hub.db.fetch(
        select(ViolationRow.person_id, ViolationRow.number)
        .where(
            ViolationRow.status == "unpaid",
            ViolationRow.committed_on >= TODAY - dt.timedelta(days=25),
            ViolationRow.person_id.not_in(list(PERSONA.values())),
        )
        .order_by(ViolationRow.number)
        .offset(index)
        .limit(1)
    )
    assert rows, "the seed should leave recent unpaid violations"
    return str(rows[0][0]), str(rows[0][1])


def age(violation: dict[str, Any]) -> int:
    return (TODAY - dt.date.fromisoformat(violation["committedOn"]["gregorian"])).days


async def test_the_citizen_with_unpaid_violations_has_recent_overdue_and_paid_ones(api: Api) -> None:
    found = await traffic_of(api, PERSONA["unpaid_violations"], as_=individual("unpaid_violations"))
    violations = found["violations"]
    unpaid = [v for v in violations if v["status"] == "UNPAID"]
    assert len(unpaid) >= 3
    assert any(dt.date.fromisoformat(v["dueOn"]["gregorian"]) < TODAY for v in unpaid), "some are overdue"
    assert any(age(v) <= 30 for v in unpaid), "one can still be objected to"
    assert "PAID" in [v["status"] for v in violations]
    assert all(v["fineSar"] > 0 and v["cityEn"] and v["cityAr"] for v in violations)
    assert found["drivingLicence"]["status"] == "VALID"


async def test_the_sponsor_and_the_family_head_own_vehicles_with_well_formed_plates(api: Api) -> None:
    for key in ("sponsor", "family_head"):
        vehicles = (await traffic_of(api, PERSONA[key]))["vehicles"]
        assert vehicles, f"{key} owns vehicles"
        for vehicle in vehicles:
            plate = vehicle["plate"]
            assert plate["digits"].isdigit() and 1 <= len(plate["digits"]) <= 4
            assert len(plate["lettersEn"]) == 3 and set(plate["lettersEn"]) <= set(PLATE_LETTERS)
            # Each Arabic letter stands above its Latin one, so Arabic reading order is the reverse.
            assert plate["lettersAr"].split() == [PLATE_LETTERS[c] for c in reversed(plate["lettersEn"])]
            assert plate["text"] == f"{plate['digits']} {plate['lettersEn']}"
            assert plate["textAr"] == f"{plate['lettersAr']} {plate['digitsAr']}"
            assert (plate["kind"], plate["colour"]) == ("PRIVATE", "WHITE")


async def test_the_absconding_worker_has_an_open_accident_report_handled_by_muroor(api: Api) -> None:
    reports = (await traffic_of(api, PERSONA["absconding_worker"], as_=individual("absconding_worker")))[
        "accidentReports"
    ]
    assert [(r["status"], r["handledBy"], r["faultPercent"], r["closedOn"]) for r in reports] == [
        ("OPEN", "MUROOR", None, None)
    ]
    assert reports[0]["reportNumber"].startswith("MRR-")


async def test_a_minor_and_a_visitor_hold_nothing_with_muroor(api: Api) -> None:
    for key in ("minor_child", "visitor"):
        assert await traffic_of(api, PERSONA[key]) == {
            "drivingLicence": None,
            "vehicles": [],
            "violations": [],
            "accidentReports": [],
        }


async def test_the_violator_objects_within_30_days_and_the_violation_becomes_objected(api: Api) -> None:
    person_id, number = await recent_unpaid_violation(api, 0)
    result = await object_to(
        api, person_id, number, reason="  The camera misread my plate.  ", as_=individual(person_id)
    )
    assert "errors" not in result, result["errors"]
    objected = result["data"]["objectToTrafficViolation"]
    assert objected == {
        "__typename": "TrafficViolationObjected",
        "violation": {
            "number": number,
            "status": "OBJECTED",
            "objectedOn": {"gregorian": TODAY.isoformat()},
            "objectionReason": "The camera misread my plate.",
        },
    }
    assert await stored(api, number) == ("objected", TODAY, "The camera misread my plate.")
    listed = {v["number"]: v["status"] for v in (await traffic_of(api, person_id))["violations"]}
    assert listed[number] == "OBJECTED"


async def test_a_traffic_officer_may_object_for_the_violator_but_only_once(api: Api) -> None:
    person_id, number = await recent_unpaid_violation(api, 1)
    first = (await object_to(api, person_id, number))["data"]["objectToTrafficViolation"]
    second = (await object_to(api, person_id, number, reason="Again."))["data"]["objectToTrafficViolation"]
    assert first["__typename"] == "TrafficViolationObjected"
    assert (second["__typename"], second["code"]) == ("Refusal", "VIOLATION_NOT_UNPAID")
    assert (await stored(api, number))[2] == "I was not driving that day."


async def test_objections_are_refused_with_their_codes_and_write_nothing(api: Api) -> None:
    violations = (await traffic_of(api, PERSONA["unpaid_violations"]))["violations"]
    too_old = next(v["number"] for v in violations if v["status"] == "UNPAID" and age(v) > 30)
    paid = next(v["number"] for v in violations if v["status"] == "PAID")
    someone_elses = (await recent_unpaid_violation(api, 2))[1]
    cases = [
        (too_old, "OBJECTION_WINDOW_CLOSED"),
        (paid, "VIOLATION_NOT_UNPAID"),
        (someone_elses, "VIOLATION_NOT_FOUND"),
        ("9999999999", "VIOLATION_NOT_FOUND"),
    ]
    for number, code in cases:
        before = await stored(api, number) if number != "9999999999" else None
        refused = (await object_to(api, PERSONA["unpaid_violations"], number, as_=individual("unpaid_violations")))[
            "data"
        ]["objectToTrafficViolation"]
        assert (refused["__typename"], refused["code"]) == ("Refusal", code)
        assert refused["message"] and refused["messageAr"]
        if before is not None:
            assert await stored(api, number) == before


async def test_nobody_else_may_object_for_the_violator(api: Api) -> None:
    person_id, number = await recent_unpaid_violation(api, 3)
    for stranger in (individual("family_head"), officer("passports")):
        result = await object_to(api, person_id, number, as_=stranger)
        assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert (await stored(api, number))[0] == "unpaid"


async def test_bad_input_is_refused_before_any_database_access(api: Api) -> None:
    person_id, number = await recent_unpaid_violation(api, 4)
    bad_id = person_id[:-1] + str((int(person_id[-1]) + 1) % 10)
    cases = [
        (bad_id, number, "Fine.", "INVALID_ID", "input.personId"),
        (person_id, "12-34", "Fine.", "BAD_USER_INPUT", "input.violationNumber"),
        (person_id, number, "   ", "BAD_USER_INPUT", "input.reason"),
        (person_id, number, "x" * 501, "BAD_USER_INPUT", "input.reason"),
    ]
    for who, violation, reason, code, argument in cases:
        counter = api.count_statements()
        try:
            result = await object_to(api, who, violation, reason=reason)
        finally:
            api.stop_counting(counter)
        assert [(e["extensions"]["code"], e["extensions"]["argument"]) for e in result["errors"]] == [(code, argument)]
        assert [s for s in counter.statements if "traffic_" in s] == []
    assert (await stored(api, number))[0] == "unpaid"


async def test_lists_are_in_their_documented_order(api: Api) -> None:
    busiest = await api.hub.db.fetch(
        select(ViolationRow.person_id)
        .group_by(ViolationRow.person_id)
        .having(func.count() > 1)
        .order_by(ViolationRow.person_id)
        .limit(50)
    )
    ids = [row[0] for row in busiest]
    assert ids, "the seed should give some people several violations"
    result = await api.query(MANY, {"ids": ids}, as_=TRAFFIC)
    assert "errors" not in result, result["errors"]
    for person in result["data"]["people"]:
        traffic = person["traffic"]
        violations = [(v["committedOn"]["gregorian"], v["number"]) for v in traffic["violations"]]
        assert violations == sorted(violations, key=lambda v: (descending(v[0]), v[1]))
        vehicles = [(v["modelYear"], v["sequenceNumber"]) for v in traffic["vehicles"]]
        assert vehicles == sorted(vehicles, key=lambda v: (-v[0], v[1]))
        reports = [(r["occurredOn"]["gregorian"], r["reportNumber"]) for r in traffic["accidentReports"]]
        assert reports == sorted(reports, key=lambda r: (descending(r[0]), r[1]))


async def test_a_few_percent_of_ten_thousand_people_have_accident_reports() -> None:
    rows = await seeded_rows(SECTOR, 10_000, "2026:traffic")
    people_with_accidents = {row["person_id"] for row in rows["traffic_accident_reports"]}
    assert 0.015 < len(people_with_accidents) / 10_000 < 0.05
    assert {row["status"] for row in rows["traffic_accident_reports"]} >= {"open", "closed"}


async def test_analysts_see_traffic_counts_with_small_groups_withheld(api: Api) -> None:
    query = '{ statistics(sector: "traffic") { name dimensions rows { group count suppressed } } }'
    result = await api.query(query, as_=Principal(Role.ANALYST, person_id="1000000008"))
    assert "errors" not in result, result["errors"]
    statistics = {s["name"]: s for s in result["data"]["statistics"]}
    assert sorted(statistics) == ["accident_reports", "driving_licences", "vehicles", "violations"]
    assert statistics["violations"]["dimensions"] == ["kind", "status"]
    rows = [row for s in statistics.values() for row in s["rows"]]
    assert any(row["count"] for row in rows)
    assert all(row["count"] is None if row["suppressed"] else row["count"] >= 10 for row in rows)
