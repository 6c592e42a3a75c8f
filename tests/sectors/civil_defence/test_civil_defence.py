"""Civil defence: incident reports and safety permits under `person { civilDefence }`, and `reportIncident`."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.contract.principal import Principal
from hub.identity.models import PersonRow
from hub.notifications.models import NotificationRow
from sectors.civil_defence import mutations
from sectors.civil_defence.models import IncidentReportRow, SafetyPermitRow
from tests.conftest import PERSONA, TODAY, Api, individual, officer
from tests.sectors.asking import fresh_key, kept, newest_notice, notices_since
from tests.sectors.seeding import descending

NAMESPACE = """
query($id: ID!) { person(id: $id) { civilDefence {
  incidentReports { reference kind status city district description reportedOn { gregorian } }
  safetyPermits { number establishmentNameEn establishmentKind status issuedOn { gregorian } expiresOn { gregorian } }
} } }"""

REPORT = """
mutation($input: ReportIncidentInput!) { reportIncident(input: $input) {
  __typename
  ... on IncidentReported { report { reference kind status city district description reportedOn { gregorian } } }
  ... on Refusal { code message messageAr }
} }"""

MANY = """
query($ids: [ID!]!) { people(ids: $ids) { id civilDefence {
  incidentReports { reference reportedOn { gregorian } }
  safetyPermits { number expiresOn { gregorian } }
} } }"""

CIVIL_DEFENCE = officer("civil_defence")


def incident(person_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "personId": person_id,
        "kind": "GAS_LEAK",
        "city": "Riyadh",
        "district": "Al Malaz",
        "description": "Strong smell of gas on the second floor.",
        **changes,
    }


async def civil_defence_of(api: Api, person_id: str) -> dict[str, Any]:
    result = await api.query(NAMESPACE, {"id": person_id}, as_=CIVIL_DEFENCE)
    assert "errors" not in result, result["errors"]
    return result["data"]["person"]["civilDefence"]  # type: ignore[no-any-return]


async def report(api: Api, input: dict[str, Any], as_: Principal = CIVIL_DEFENCE) -> dict[str, Any]:
    return await api.query(REPORT, {"input": input}, as_=as_)


async def person_without_reports(api: Api, index: int) -> str:
    """A seeded person (not a persona) with no incident reports; each test takes its own index,
    so the tests' writes never meet on a shared database."""
    rows = await api.hub.db.fetch(
        select(PersonRow.id)
        .where(PersonRow.id.not_in(select(IncidentReportRow.person_id)), PersonRow.id.not_in(list(PERSONA.values())))
        .order_by(PersonRow.id)
        .offset(index)
        .limit(1)
    )
    return str(rows[0][0])


async def reports_stored(api: Api, person_id: str) -> int:
    rows = await api.hub.db.fetch(select(func.count()).where(IncidentReportRow.person_id == person_id))
    return int(rows[0][0])


async def test_family_head_reported_a_house_fire_that_is_closed_and_holds_a_valid_permit(api: Api) -> None:
    found = await civil_defence_of(api, PERSONA["family_head"])
    assert [(r["kind"], r["status"]) for r in found["incidentReports"]] == [("FIRE", "CLOSED")]
    assert [p["status"] for p in found["safetyPermits"]] == ["VALID"]


async def test_sponsor_owns_two_establishments_and_one_permit_has_expired(api: Api) -> None:
    found = await civil_defence_of(api, PERSONA["sponsor"])
    assert sorted(p["status"] for p in found["safetyPermits"]) == ["EXPIRED", "VALID"]
    assert len({p["establishmentNameEn"] for p in found["safetyPermits"]}) == 2


async def test_unpaid_violations_reported_an_incident_still_open(api: Api) -> None:
    found = await civil_defence_of(api, PERSONA["unpaid_violations"])
    assert "OPEN" in [r["status"] for r in found["incidentReports"]]


async def test_a_person_reports_an_incident_themself_and_reads_it_back(api: Api) -> None:
    person_id = await person_without_reports(api, 0)
    async with kept(api, person_id, IncidentReportRow, NotificationRow):
        result = await report(
            api, incident(person_id, kind="FIRE", description="  Smoke from the roof.  "), as_=individual(person_id)
        )
        assert "errors" not in result, result["errors"]
        filed = result["data"]["reportIncident"]
        assert filed["__typename"] == "IncidentReported"
        assert re.fullmatch(r"CD-\d{8}-\d{8}", filed["report"]["reference"])
        assert (filed["report"]["kind"], filed["report"]["status"]) == ("FIRE", "OPEN")
        assert filed["report"]["description"] == "Smoke from the roof."
        assert (await civil_defence_of(api, person_id))["incidentReports"] == [filed["report"]]


async def test_a_fourth_report_while_three_are_not_closed_is_refused_and_writes_nothing(api: Api) -> None:
    person_id = await person_without_reports(api, 1)
    async with kept(api, person_id, IncidentReportRow, NotificationRow):
        for _ in range(3):
            assert (await report(api, incident(person_id)))["data"]["reportIncident"][
                "__typename"
            ] == "IncidentReported"
        refused = (await report(api, incident(person_id)))["data"]["reportIncident"]
        assert refused["__typename"] == "Refusal"
        assert refused["code"] == "TOO_MANY_OPEN_REPORTS"
        assert (refused["message"], refused["messageAr"]) == (
            "This person already has 3 reports that are not closed; call 998 for an emergency.",
            "لدى هذا الشخص 3 بلاغات غير مغلقة؛ اتصل بالرقم 998 في حالات الطوارئ.",
        )
        assert await reports_stored(api, person_id) == 3


async def test_bad_input_is_refused_with_its_code_before_anything_is_written(api: Api) -> None:
    person_id = await person_without_reports(api, 2)
    cases = [
        (incident(person_id, description="   "), "BAD_USER_INPUT", "input.description"),
        (incident(person_id, description="x" * 501), "BAD_USER_INPUT", "input.description"),
        (incident(person_id, city=""), "BAD_USER_INPUT", "input.city"),
        (incident(person_id[:-1] + str((int(person_id[-1]) + 1) % 10)), "INVALID_ID", "input.personId"),
    ]
    for input, code, argument in cases:
        result = await report(api, input)
        assert [(e["extensions"]["code"], e["extensions"]["argument"]) for e in result["errors"]] == [(code, argument)]
        assert result.get("data") is None
    assert await reports_stored(api, person_id) == 0


async def test_nobody_else_may_report_in_a_persons_name(api: Api) -> None:
    person_id = await person_without_reports(api, 3)
    for stranger in (individual("family_head"), officer("passports")):
        result = await report(api, incident(person_id), as_=stranger)
        assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert await reports_stored(api, person_id) == 0


async def test_incident_reports_are_listed_latest_first_then_by_referencedescending(api: Api) -> None:
    rows = await api.hub.db.fetch(
        select(IncidentReportRow.person_id, IncidentReportRow.reference, IncidentReportRow.reported_on).where(
            IncidentReportRow.person_id.in_(
                select(IncidentReportRow.person_id).group_by(IncidentReportRow.person_id).having(func.count() > 1)
            )
        )
    )
    expected: dict[str, list[tuple[str, str]]] = {}
    for person_id, reference, reported_on in rows:
        expected.setdefault(person_id, []).append((reported_on.isoformat(), reference))
    assert expected, "the seed should give some people more than one report"
    ids = sorted(expected)[:50]
    result = await api.query(MANY, {"ids": ids}, as_=CIVIL_DEFENCE)
    for person in result["data"]["people"]:
        listed = [(r["reportedOn"]["gregorian"], r["reference"]) for r in person["civilDefence"]["incidentReports"]]
        assert listed == sorted(expected[person["id"]], reverse=True)


async def test_safety_permits_are_listed_latest_expiry_first_then_by_number(api: Api) -> None:
    rows = await api.hub.db.fetch(select(SafetyPermitRow.owner_id, SafetyPermitRow.number, SafetyPermitRow.expires_on))
    expected: dict[str, list[tuple[str, str]]] = {}
    for owner_id, number, expires_on in rows:
        expected.setdefault(owner_id, []).append((expires_on.isoformat(), number))
    owners = sorted(owner for owner, permits in expected.items() if len(permits) > 1)[:50]
    assert PERSONA["sponsor"] in expected and owners
    result = await api.query(MANY, {"ids": owners}, as_=CIVIL_DEFENCE)
    for person in result["data"]["people"]:
        listed = [(p["expiresOn"]["gregorian"], p["number"]) for p in person["civilDefence"]["safetyPermits"]]
        assert listed == sorted(expected[person["id"]], key=lambda permit: (descending(permit[0]), permit[1]))


NOTICES = "{ me { notifications(first: 5) { entries { kind sector messageEn messageAr } } } }"


async def test_a_filed_report_is_told_to_the_reporter_as_civil_defences(api: Api) -> None:
    person_id = await person_without_reports(api, 4)
    async with kept(api, person_id, IncidentReportRow, NotificationRow):
        filed = await report(api, incident(person_id), as_=individual(person_id))
        reference = filed["data"]["reportIncident"]["report"]["reference"]
        page = await api.query(NOTICES, as_=individual(person_id))
        assert "errors" not in page, page["errors"]
        [notice] = [
            entry for entry in page["data"]["me"]["notifications"]["entries"] if reference in entry["messageEn"]
        ]
        assert (notice["kind"], notice["sector"]) == ("SERVICE_COMPLETED", "civil_defence")
        assert reference in notice["messageAr"]


async def test_a_report_writes_every_value_with_the_largest_draw_and_tells_the_reporter_exactly(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    person_id = await person_without_reports(api, 5)
    monkeypatch.setattr(mutations.secrets, "randbelow", lambda bound: bound - 1)  # the largest draw
    async with kept(api, person_id, IncidentReportRow, NotificationRow):
        last = await newest_notice(api)
        given = incident(person_id, city="  Jeddah ", district=" Al Rawdah  ", description=" Water in the street. ")
        filed = await report(api, given | {"kind": "FLOOD"}, as_=individual(person_id))
        reference = f"CD-{TODAY:%Y%m%d}-99999999"
        assert filed["data"]["reportIncident"]["report"] == {
            "reference": reference,
            "kind": "FLOOD",
            "status": "OPEN",
            "city": "Jeddah",
            "district": "Al Rawdah",
            "description": "Water in the street.",
            "reportedOn": {"gregorian": TODAY.isoformat()},
        }, filed
        stored = await api.hub.db.fetch(
            select(IncidentReportRow.__table__).where(IncidentReportRow.person_id == person_id)
        )
        assert [tuple(row) for row in stored] == [
            (reference, person_id, "flood", "Jeddah", "Al Rawdah", "Water in the street.", TODAY, "open")
        ]
        assert await notices_since(api, last) == [
            (
                person_id,
                "civil_defence",
                "service_completed",
                f"Your incident report {reference} was received.",
                f"استُلم بلاغك رقم {reference}.",
            )
        ]


async def test_a_report_sent_again_with_its_idempotency_key_is_answered_again_and_filed_once(api: Api) -> None:
    person_id = await person_without_reports(api, 6)
    async with kept(api, person_id, IncidentReportRow, NotificationRow):
        last = await newest_notice(api)
        sent = incident(person_id, idempotencyKey=fresh_key("incident-report-sent-twice"))
        answers = [await report(api, sent, as_=individual(person_id)) for _ in range(2)]
        assert answers[0]["data"]["reportIncident"]["__typename"] == "IncidentReported", answers[0]
        assert answers[1] == answers[0]
        assert await reports_stored(api, person_id) == 1
        assert len(await notices_since(api, last)) == 1
