"""Every person whose data appears in an answer is a subject in their own right: decided for their
own relation to the caller, audited in their own entries; relations grant only while they hold;
a sponsor recognises a worker without reading their personal details; finding a person is a read.

Each case runs on both databases and on both execution paths (plain text, and persisted: the
compiled path or its fallback), which must answer alike."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text

from hub.audit.reading import recorded
from tests.conftest import PERSONA, TODAY, Api, individual, officer

PASSPORTS_AND_NAME = (
    """query($id: ID!) { person(id: $id) { id nameEn passports { iqama { number } visas { number } } } }"""
)


async def both_paths(api: Api, query: str, variables: dict[str, Any], caller: Any) -> dict[str, Any]:
    """The answer, asked once as plain text and once persisted; both must be the same."""
    plain = await api.query(query, variables, as_=caller)
    digest = hashlib.sha256(query.encode()).hexdigest()
    body = {
        "query": query,
        "variables": variables,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
    }
    response = await api.client.post("/graphql", json=body, headers=api.headers(caller))
    assert response.status_code == 200, response.text
    assert response.json() == plain
    return plain


def codes(result: dict[str, Any]) -> set[tuple[str, ...]]:
    return {(error["extensions"]["code"], *map(str, error.get("path", []))) for error in result.get("errors", [])}


@asynccontextmanager
async def changed(api: Api, change: str, undo: str, **values: Any) -> AsyncIterator[None]:
    """A change to the seeded data for one test, undone afterwards whatever happens."""
    async with api.hub.db.connect() as connection:
        await connection.execute(text(change), values)
        await connection.commit()
    try:
        yield
    finally:
        async with api.hub.db.connect() as connection:
            await connection.execute(text(undo), values)
            await connection.commit()


async def test_a_host_reads_the_visitor_only_while_the_visit_visa_is_in_force(api: Api) -> None:
    visitor, host = individual("visitor"), individual("family_head")
    variables = {"id": PERSONA["visitor"]}
    before = await both_paths(api, PASSPORTS_AND_NAME, variables, host)
    assert before["data"]["person"]["passports"]["visas"], before
    yesterday = TODAY - dt.timedelta(days=1)
    async with api.hub.db.connect() as connection:
        until = (
            await connection.execute(
                text("SELECT valid_until FROM passports_visas WHERE person_id = :v AND kind = 'visit'"),
                {"v": visitor.person_id},
            )
        ).scalar_one()
    async with changed(
        api,
        "UPDATE passports_visas SET valid_until = :until WHERE person_id = :visitor AND kind = 'visit'",
        "UPDATE passports_visas SET valid_until = :was WHERE person_id = :visitor AND kind = 'visit'",
        until=yesterday,
        was=until,
        visitor=visitor.person_id,
    ):
        after = await both_paths(api, PASSPORTS_AND_NAME, variables, host)
    assert after["data"]["person"] is None
    assert codes(after) == {("FORBIDDEN", "person")}


async def test_a_sponsor_loses_the_worker_when_the_iqama_is_cancelled(api: Api) -> None:
    worker = PERSONA["absconding_worker"]
    sponsor = individual("sponsor")
    granted = await both_paths(api, PASSPORTS_AND_NAME, {"id": worker}, sponsor)
    assert granted["data"]["person"]["passports"]["iqama"]["number"] == worker
    async with changed(
        api,
        "UPDATE passports_iqamas SET status = 'cancelled' WHERE person_id = :worker",
        "UPDATE passports_iqamas SET status = 'valid' WHERE person_id = :worker",
        worker=worker,
    ):
        refused = await both_paths(api, PASSPORTS_AND_NAME, {"id": worker}, sponsor)
    assert refused["data"]["person"] is None
    assert codes(refused) == {("FORBIDDEN", "person")}


async def test_a_transfer_of_sponsorship_moves_access_to_the_new_sponsor_at_once(api: Api) -> None:
    worker = PERSONA["absconding_worker"]
    old, new = individual("sponsor"), individual("unpaid_violations")
    async with changed(
        api,
        "UPDATE passports_iqamas SET sponsor_id = :new WHERE person_id = :worker",
        "UPDATE passports_iqamas SET sponsor_id = :old WHERE person_id = :worker",
        worker=worker,
        new=new.person_id,
        old=old.person_id,
    ):
        former = await both_paths(api, PASSPORTS_AND_NAME, {"id": worker}, old)
        current = await both_paths(api, PASSPORTS_AND_NAME, {"id": worker}, new)
    assert former["data"]["person"] is None and codes(former) == {("FORBIDDEN", "person")}
    assert current["data"]["person"]["id"] == worker and "errors" not in current


SPONSORED = """query($id: ID!) {
  person(id: $id) { passports { sponsored { person { id } iqama { number sponsorship } } } }
}"""


async def _worker_with_dependants(api: Api) -> tuple[str, str, list[str]]:
    """(the worker's sponsor, the worker, the worker's dependants) from the seeded data."""
    async with api.hub.db.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT w.sponsor_id, w.person_id FROM passports_iqamas w "
                    "WHERE w.status = 'valid' AND w.sponsor_id LIKE '1%' AND EXISTS "
                    "(SELECT 1 FROM passports_iqamas d WHERE d.sponsor_id = w.person_id) ORDER BY w.person_id LIMIT 1"
                )
            )
        ).one()
        dependants = (
            await connection.execute(
                text("SELECT person_id FROM passports_iqamas WHERE sponsor_id = :w ORDER BY person_id"), {"w": row[1]}
            )
        ).scalars()
        return row[0], row[1], list(dependants)


async def test_a_sponsor_reads_none_of_the_people_their_worker_sponsors(api: Api) -> None:
    sponsor, worker, dependants = await _worker_with_dependants(api)
    assert dependants
    as_sponsor = await both_paths(api, SPONSORED, {"id": worker}, individual(sponsor))
    assert "errors" not in as_sponsor
    assert as_sponsor["data"]["person"]["passports"]["sponsored"] == []
    as_officer = await both_paths(api, SPONSORED, {"id": worker}, officer("passports"))
    listed = [entry["person"]["id"] for entry in as_officer["data"]["person"]["passports"]["sponsored"]]
    assert sorted(listed) == dependants


async def test_each_third_person_shown_is_audited_for_themselves(api: Api) -> None:
    _, worker, dependants = await _worker_with_dependants(api)
    request_id = uuid.uuid4().hex
    response = await api.post(SPONSORED, {"id": worker}, as_=officer("passports"), headers={"x-request-id": request_id})
    assert "errors" not in response.json()
    entries = await recorded(api.hub.db, request_ids=[request_id])
    read = {(entry.subject_id, entry.sector) for entry in entries}
    for dependant in dependants:
        assert (dependant, "passports") in read, dependant
        assert any(entry.subject_id == dependant for entry in await recorded(api.hub.db, subject_id=dependant))


REGISTER = """query($id: ID!) {
  person(id: $id) { civilAffairs { familyRegister { members { relation person { id } } } } }
}"""


async def test_a_family_register_shows_each_member_the_caller_may_read(api: Api) -> None:
    head = PERSONA["family_head"]
    everyone = await both_paths(api, REGISTER, {"id": head}, officer("civil_affairs"))
    members = {
        m["person"]["id"]: m["relation"]
        for m in everyone["data"]["person"]["civilAffairs"]["familyRegister"]["members"]
    }
    wives = [person for person, relation in members.items() if relation == "WIFE"]
    assert wives and members[head] == "HEAD"
    as_head = await both_paths(api, REGISTER, {"id": head}, individual(head))
    assert {m["person"]["id"] for m in as_head["data"]["person"]["civilAffairs"]["familyRegister"]["members"]} == set(
        members
    )
    as_wife = await both_paths(api, REGISTER, {"id": wives[0]}, individual(wives[0]))
    seen = {m["person"]["id"] for m in as_wife["data"]["person"]["civilAffairs"]["familyRegister"]["members"]}
    assert wives[0] in seen and head not in seen


DETAILS = """query($id: ID!) { person(id: $id) { id nameEn nameAr bornOn { gregorian } mobile sex } }"""


async def test_a_sponsor_recognises_the_worker_but_reads_no_personal_details(api: Api) -> None:
    worker = PERSONA["absconding_worker"]
    result = await both_paths(api, DETAILS, {"id": worker}, individual("sponsor"))
    person = result["data"]["person"]
    assert person["nameEn"] and person["nameAr"] and person["id"] == worker
    assert person["bornOn"] is None and person["mobile"] is None and person["sex"] is None
    assert codes(result) == {("FORBIDDEN", "person", field) for field in ("bornOn", "mobile", "sex")}
    guardian = await both_paths(api, DETAILS, {"id": PERSONA["minor_child"]}, individual("family_head"))
    assert "errors" not in guardian and guardian["data"]["person"]["bornOn"]["gregorian"]


async def test_finding_a_person_is_an_audited_read_whether_or_not_the_id_is_known(api: Api) -> None:
    unknown = "1999999996"  # a valid check digit, no such person in the demo
    for subject in (PERSONA["visitor"], unknown):
        request_id = uuid.uuid4().hex
        response = await api.post(
            "query($id: ID!) { person(id: $id) { id __typename } }",
            {"id": subject},
            as_=officer("traffic"),
            headers={"x-request-id": request_id},
        )
        assert "errors" not in response.json()
        entries = await recorded(api.hub.db, request_ids=[request_id])
        assert [(e.subject_id, e.sector, tuple(e.fields)) for e in entries] == [(subject, "identity", ("id",))]
