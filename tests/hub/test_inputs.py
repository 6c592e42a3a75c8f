"""One caller cannot fail everyone: every value a request brings that is stored or logged (its
operation's name, X-Purpose, X-Request-Id, the strings of its variables and document) is bounded
and clean before anything runs, with a code; and a record the audit trail cannot append fails its
own request only, never the others appended with it (tests/hub/test_audit.py)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from hub.audit.reading import recorded
from hub.contract.principal import Principal
from hub.identity.models import PersonRow
from sectors.civil_defence.models import IncidentReportRow
from tests.conftest import PERSONA, Api, individual, officer

PATHS = ["general", "compiled"]  # plain text, and persisted (APQ) as the compiled path takes it

PERSON = "query Status($id: ID!) { person(id: $id) { nameEn } }"
REPORT = """mutation Report($input: ReportIncidentInput!) { reportIncident(input: $input) {
  __typename ... on IncidentReported { report { reference description } }
} }"""


def _body(query: str, variables: dict[str, Any] | None, path: str, operation_name: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query, "variables": variables, "operationName": operation_name}
    if path == "compiled":
        body["extensions"] = {
            "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
        }
    return body


async def _post(
    api: Api, body: dict[str, Any], as_: Principal, headers: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    response = await api.client.post("/graphql", json=body, headers={**api.headers(as_), **(headers or {})})
    return response.status_code, response.json()


def _codes(answer: dict[str, Any]) -> list[tuple[str, ...]]:
    return [
        (error["extensions"]["code"], *(f"{k}={v}" for k, v in error["extensions"].items() if k != "code"))
        for error in answer["errors"]
    ]


async def _written_for(api: Api, request_id: str) -> int:
    return len(await recorded(api.hub.db, request_ids=[request_id]))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", ["Q" * 129, "not a name", "Status\x00", "1Status"])
async def test_an_operation_name_that_is_not_a_short_graphql_name_is_refused_before_it_runs(
    api: Api, path: str, name: str
) -> None:
    """The name is stored with the audit record (128 characters at most): on PostgreSQL a longer one
    made the shared append fail for every request in its group."""
    query = PERSON.replace("Status", name) if name.isidentifier() else PERSON
    request_id = uuid.uuid4().hex
    status, answer = await _post(
        api, _body(query, {"id": PERSONA["sponsor"]}, path, name), officer("passports"), {"x-request-id": request_id}
    )
    assert (status, _codes(answer)) == (400, [("BAD_REQUEST", "field=operationName")])
    assert "data" not in answer and await _written_for(api, request_id) == 0


@pytest.mark.parametrize("path", PATHS)
async def test_an_operation_name_of_128_characters_is_run_and_audited(api: Api, path: str) -> None:
    name = "Q" * 128
    request_id = uuid.uuid4().hex
    status, answer = await _post(
        api,
        _body(PERSON.replace("Status", name), {"id": PERSONA["sponsor"]}, path, name),
        officer("passports"),
        {"x-request-id": request_id},
    )
    assert status == 200 and answer["data"]["person"]["nameEn"]
    assert {entry.operation for entry in await recorded(api.hub.db, request_ids=[request_id])} == {name}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("purpose", ["x" * 60_000, "x" * 201, "case\x01 7", "case\t7", "\x85".encode(), b"\xff\xfe"])
async def test_a_purpose_that_is_long_or_not_one_line_of_text_is_refused(
    api: Api, path: str, purpose: str | bytes
) -> None:
    request_id = uuid.uuid4().hex
    status, answer = await _post(
        api,
        _body(PERSON, {"id": PERSONA["sponsor"]}, path),
        officer("passports"),
        {"x-purpose": purpose, "x-request-id": request_id},
    )
    assert (status, _codes(answer)) == (400, [("BAD_REQUEST", "header=X-Purpose")])
    assert await _written_for(api, request_id) == 0


@pytest.mark.parametrize("path", PATHS)
async def test_a_purpose_in_arabic_is_stored_as_written(api: Api, path: str) -> None:
    """Header bytes reach the hub as Latin-1: stored as such, an Arabic purpose was mojibake."""
    case = "تحقيق في القضية ٤٥/١٤٤٨ "
    purpose = case + "x" * (200 - len(case))
    request_id = uuid.uuid4().hex
    status, _ = await _post(
        api,
        _body(PERSON, {"id": PERSONA["sponsor"]}, path),
        officer("passports"),
        {"x-purpose": purpose.encode(), "x-request-id": request_id},
    )
    assert status == 200
    assert {entry.purpose for entry in await recorded(api.hub.db, request_ids=[request_id])} == {purpose}


@pytest.mark.parametrize("path", PATHS)
async def test_a_request_id_that_is_not_a_plain_token_is_refused(api: Api, path: str) -> None:
    body = _body(PERSON, {"id": PERSONA["sponsor"]}, path)
    kept = await api.client.post(
        "/graphql", json=body, headers={**api.headers(officer("passports")), "x-request-id": "abc-1"}
    )
    assert kept.status_code == 200 and kept.headers["x-request-id"] == "abc-1"
    for given in ("x" * 65, "abc\x00", "a b", "é".encode()):
        status, answer = await _post(api, body, officer("passports"), {"x-request-id": given})
        assert (status, _codes(answer)) == (400, [("BAD_REQUEST", "header=X-Request-Id")]), repr(given)


async def _person_without_reports(api: Api, index: int) -> str:
    rows = await api.hub.db.fetch(
        select(PersonRow.id)
        .where(PersonRow.id.not_in(select(IncidentReportRow.person_id)), PersonRow.id.not_in(list(PERSONA.values())))
        .order_by(PersonRow.id.desc())  # from the other end than the sector's own tests
        .offset(index)
        .limit(1)
    )
    return str(rows[0][0])


async def _reports_of(api: Api, person_id: str) -> list[str]:
    rows = await api.hub.db.fetch(
        select(IncidentReportRow.description)
        .where(IncidentReportRow.person_id == person_id)
        .order_by(func.length(IncidentReportRow.description))
    )
    return [row[0] for row in rows]


def _literal(input: dict[str, str]) -> str:
    """REPORT with the input written into the document, strings as JSON writes them (\\u0000 and all)."""
    fields = ", ".join(
        f"{key}: {value}" if key == "kind" else f"{key}: {orjson.dumps(value).decode()}" for key, value in input.items()
    )
    return REPORT.replace("($input: ReportIncidentInput!)", "").replace("input: $input", f"input: {{{fields}}}")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("written", ["in variables", "in the document"])
async def test_a_control_character_in_a_mutations_text_is_refused_and_nothing_is_stored(
    api: Api, path: str, written: str
) -> None:
    """A NUL was an internal error on PostgreSQL and stored on SQLite; an escape character would be
    stored by both. Tabs and line breaks are text."""
    index = PATHS.index(path) * 2 + (written == "in the document")
    person_id = await _person_without_reports(api, index)
    me = individual(person_id)

    def report(description: str) -> dict[str, Any]:
        input = {
            "personId": person_id,
            "kind": "FIRE",
            "city": "Riyadh",
            "district": "Olaya",
            "description": description,
        }
        if written == "in variables":
            return _body(REPORT, {"input": input}, path)
        return _body(_literal(input), None, path)

    for description in ("Smoke\x00on the roof", "Smoke\x1b[2Jon the roof", "Smoke\x7f", "Smoke\x9b"):
        status, answer = await _post(api, report(description), me)
        (code, *_), *more = _codes(answer)
        assert (status, code, more) == (200, "BAD_USER_INPUT", []), answer
        assert "control character" in answer["errors"][0]["message"] and "data" not in answer
    assert await _reports_of(api, person_id) == []

    status, answer = await _post(api, report("Smoke on the roof,\n\tsecond floor\r\n"), me)
    assert answer["data"]["reportIncident"]["__typename"] == "IncidentReported", answer
    assert await _reports_of(api, person_id) == ["Smoke on the roof,\n\tsecond floor"]


@pytest.mark.parametrize("path", PATHS)
async def test_variables_over_their_bounds_are_refused_before_anything_runs(api: Api, path: str) -> None:
    nested: Any = "x"
    for _ in range(11):
        nested = [nested]
    cases = [
        ({"id": PERSONA["sponsor"], "unused": list(range(1_000))}, ("REQUEST_TOO_LARGE",)),
        ({"id": PERSONA["sponsor"], "unused": nested}, ("REQUEST_TOO_LARGE",)),
        ({"id": PERSONA["sponsor"], "unused": {"a": ["x" * 1_001]}}, ("BAD_USER_INPUT", "variable=unused.a.0")),
        ({"id": PERSONA["sponsor"], "unused": {"a\x00": 1}}, ("BAD_USER_INPUT", "variable=unused")),
        ({"id": "1010000014\x00"}, ("BAD_USER_INPUT", "variable=id")),
    ]
    for variables, expected in cases:
        status, answer = await _post(api, _body(PERSON, variables, path), officer("passports"))
        assert (status, _codes(answer)) == (200, [expected]), answer
    within = {"id": PERSONA["sponsor"], "unused": [list(range(996))], "text": "x" * 1_000}  # 1,000 values
    status, answer = await _post(api, _body(PERSON, within, path), officer("passports"))
    assert status == 200 and answer["data"]["person"]["nameEn"], answer


async def test_a_list_of_ids_with_a_control_character_names_the_item(api: Api) -> None:
    query = "query($ids: [ID!]!) { people(ids: $ids) { id } }"
    status, answer = await _post(
        api, _body(query, {"ids": [PERSONA["sponsor"], "10\x0010000014"]}, "general"), officer("passports")
    )
    assert (status, _codes(answer)) == (200, [("BAD_USER_INPUT", "variable=ids.1")])
