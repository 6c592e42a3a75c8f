"""GraphQL over HTTP: bad requests get a stable code and never a stack trace."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import re
from collections import Counter
from pathlib import Path

import jwt
import pytest
from sqlalchemy import text

from hub.api.execution import _VALIDATED
from hub.api.limits import parse_document
from hub.audit.entries import AuditKey
from hub.identity.records import IdentityRecord
from hub.web.responses import GRAPHQL_RESPONSE, JSON
from sectors.passports.types import Iqama, Visa
from tests.conftest import PERSONA, Api, officer, own_hub


async def test_a_body_that_is_not_json_is_bad_request(sqlite_api: Api) -> None:
    response = await sqlite_api.client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_batch_array_is_refused(sqlite_api: Api) -> None:
    response = await sqlite_api.client.post("/graphql", json=[{"query": "{ __typename }"}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_syntax_error_is_parse_failed(sqlite_api: Api) -> None:
    result = await sqlite_api.query("{ person(id: ")
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "data" not in result


async def test_an_unknown_field_is_validation_failed(sqlite_api: Api) -> None:
    result = await sqlite_api.query('{ person(id: "1000000008") { shoeSize } }')
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "shoeSize" in result["errors"][0]["message"]


async def test_a_document_misusing_its_variables_is_validation_failed(sqlite_api: Api) -> None:
    """Validation's words about variables read like a refused value; the code says which it is."""
    unused = await sqlite_api.query("query($id: ID!) { __typename }", {"id": "1000000008"})
    misplaced = await sqlite_api.query("query($id: Int) { person(id: $id) { id } }", {"id": 1})
    assert [(r["errors"][0]["extensions"]["code"], r["errors"][0]["message"]) for r in (unused, misplaced)] == [
        ("GRAPHQL_VALIDATION_FAILED", "Variable '$id' is never used."),
        ("GRAPHQL_VALIDATION_FAILED", "Variable '$id' of type 'Int' used in position expecting type 'ID!'."),
    ]


async def test_a_variable_of_the_wrong_type_is_bad_user_input(sqlite_api: Api) -> None:
    result = await sqlite_api.query("query($ids: [ID!]!) { people(ids: $ids) { id } }", {"ids": {"not": "a list"}})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "data" not in result
    activate = "mutation($input: ActivateAccountInput!) { activateAccount(input: $input) { __typename } }"
    said = [
        (await sqlite_api.query(activate, {"input": {"username": value, "id": "1010000014"}}))["errors"][0]["message"]
        for value in (None, True)
    ]
    assert said == [  # in the JSON the client sent, not as Python writes it
        "Variable '$input' has invalid value at .username: Expected value of non-null type 'String!' not to be null.",
        "Variable '$input' has invalid value at .username: String cannot represent a non string value: true",
    ]


async def test_graphql_response_media_type_gets_400_for_an_invalid_document(sqlite_api: Api) -> None:
    response = await sqlite_api.client.post(
        "/graphql", json={"query": "{ nope }"}, headers={"accept": "application/graphql-response+json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/graphql-response+json")


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("Application/GraphQL-Response+JSON", GRAPHQL_RESPONSE),  # media types match whatever their case
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/graphql-response+json;q=0.9, application/json;q=0.8", GRAPHQL_RESPONSE),
        ("application/graphql-response+json;q=0, application/json", JSON),  # q=0: not this one
        ("application/json, application/graphql-response+json; q=0.5", JSON),
        ("*/*", JSON),
        ("application/xml", JSON),  # neither: JSON, as the spec allows instead of a 406
    ],
)
async def test_the_media_type_is_negotiated_as_http_has_it(sqlite_api: Api, accept: str, media: str) -> None:
    response = await sqlite_api.client.post("/graphql", json={"query": "{ nope }"}, headers={"accept": accept})
    assert response.headers["content-type"] == media
    assert response.status_code == (400 if media == GRAPHQL_RESPONSE else 200)


async def test_a_mutation_over_get_is_method_not_allowed(sqlite_api: Api) -> None:
    response = await sqlite_api.client.get(
        "/graphql",
        params={
            "query": 'mutation { issueExitReentryVisa(input: {personId: "1", kind: SINGLE, days: 1}) { __typename } }'
        },
    )
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_a_query_over_get_is_answered(sqlite_api: Api) -> None:
    response = await sqlite_api.client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_bad_token_is_unauthenticated(sqlite_api: Api) -> None:
    response = await sqlite_api.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"authorization": "Bearer nonsense"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_officer_without_a_purpose_is_refused(sqlite_api: Api) -> None:
    response = await sqlite_api.client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"authorization": f"Bearer {sqlite_api.token(officer('traffic'))}"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"


async def test_errors_come_out_sorted_by_path_so_the_same_request_gives_the_same_bytes(sqlite_api: Api) -> None:
    query = "query($ids: [ID!]!) { people(ids: $ids) { id nameEn } }"
    ids = [PERSONA["visitor"], PERSONA["sponsor"], PERSONA["family_head"], PERSONA["minor_child"]]
    first = await sqlite_api.post(query, {"ids": ids})
    second = await sqlite_api.post(query, {"ids": ids})
    assert first.content == second.content
    paths = [error["path"] for error in first.json()["errors"]]
    assert paths == sorted(paths, key=lambda path: [str(part).zfill(9) for part in path])


async def test_automatic_persisted_queries_round_trip(sqlite_api: Api) -> None:
    query = "{ __typename }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    unknown = await sqlite_api.client.post("/graphql", json={"extensions": extensions})
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await sqlite_api.client.post("/graphql", json={"query": query, "extensions": extensions})
    assert registered.json() == {"data": {"__typename": "Query"}}
    by_hash = await sqlite_api.client.post("/graphql", json={"extensions": extensions})
    assert by_hash.json() == {"data": {"__typename": "Query"}}
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    mismatch = await sqlite_api.client.post("/graphql", json={"query": query, "extensions": wrong})
    assert mismatch.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_graphiql_is_served_with_every_asset_from_the_hub(sqlite_api: Api) -> None:
    page = await sqlite_api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "PersonStatus" in page.text
    assert not re.search(r"""(src|href)=["']https?://""", page.text), "nothing may load from a CDN"
    assert '<link rel="icon" href="data:,">' in page.text, "else the browser asks for /favicon.ico, a 404"
    assert (await sqlite_api.client.get("/favicon.ico")).status_code == 404
    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", page.text)
    assert len(assets) >= 4
    for asset in assets:
        response = await sqlite_api.client.get(asset)
        assert response.status_code == 200, asset


async def test_healthz_reports_ok_and_the_sectors(sqlite_api: Api) -> None:
    response = await sqlite_api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["sectors"] == [sector.name for sector in sqlite_api.hub.sectors]


async def test_each_limit_has_its_own_code(sqlite_api: Api) -> None:
    levels = ["me", "person"] + ["passports", "sponsored", "person"] * 4
    deep = "{ " + " { ".join(levels) + " { id" + " }" * len(levels) + " }"
    assert (await sqlite_api.query(deep))["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    assert (await sqlite_api.query(aliases))["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"
    tokens = "{ " + " ".join("__typename" for _ in range(4_100)) + " }"
    assert (await sqlite_api.query(tokens))["errors"][0]["extensions"]["code"] == "TOO_MANY_TOKENS"
    costly = "query($ids: [ID!]!) { people(ids: $ids) { passports { sponsored { person { traffic { violations { number kind status fineSar } } } } } } }"  # noqa: E501
    cheap = await sqlite_api.query(costly, {"ids": [PERSONA["sponsor"]]})  # the same document, one ID: passes
    assert "QUERY_TOO_COMPLEX" not in {error["extensions"]["code"] for error in cheap.get("errors", ())}
    result = await sqlite_api.query(costly, {"ids": [PERSONA["sponsor"]] * 100})
    assert result["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "data" not in result


async def test_the_shipped_operations_are_within_the_limits_for_one_hundred_people(sqlite_api: Api) -> None:
    from hub.api.limits import MAX_COST, check_limits, parse_document
    from hub.api.operations import shipped_operations

    schema = sqlite_api.hub.schema._schema
    costs = {
        operation.name: check_limits(schema, parse_document(operation.document), None, {"ids": ["1"] * 100, "id": "1"})
        for operation in shipped_operations()
    }
    assert all(0 < cost <= MAX_COST for cost in costs.values()), costs
    # The list operation's cost grows with the people asked for: the limit weighs what is sent.
    people = next(operation for operation in shipped_operations() if operation.name == "PeopleStatus")
    assert check_limits(schema, parse_document(people.document), None, {"ids": ["1"] * 10}) < costs["PeopleStatus"]


async def test_production_mode_runs_only_the_trusted_documents(tmp_path: Path) -> None:
    from hub.api.operations import trusted_documents

    digest, document = next(iter(trusted_documents().items()))
    async with own_hub(tmp_path, trusted_documents=True) as (_, client):
        refused = (await client.post("/graphql", json={"query": "{ __typename }"})).json()
        assert refused["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        unknown = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
        refused = (await client.post("/graphql", json={"extensions": unknown})).json()
        assert refused["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        by_hash = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        variables = {
            "id": PERSONA["sponsor"],
            "ids": [PERSONA["sponsor"]],
            "input": {"personId": PERSONA["sponsor"], "kind": "SINGLE", "days": 1},
        }
        answered = (await client.post("/graphql", json={"extensions": by_hash, "variables": variables})).json()
        assert all(error["extensions"]["code"] != "TRUSTED_DOCUMENT_REQUIRED" for error in answered.get("errors", []))
        assert "data" in answered
        as_text = (await client.post("/graphql", json={"query": document, "variables": variables})).json()
        assert "data" in as_text
        # As GraphiQL's tabs send it: the title and caller as comment lines above the document.
        commented = f"\n# {document.splitlines()[0]}\n# Caller: resident\n{document}"
        as_tab = (await client.post("/graphql", json={"query": commented, "variables": variables})).json()
        assert as_tab == as_text
        altered = document.replace("{", "{ __typename ", 1)  # a trusted document's text is not edited
        refused = (await client.post("/graphql", json={"query": altered, "variables": variables})).json()
        assert refused["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"


async def test_a_database_that_went_away_is_a_json_internal_error_not_a_stack_trace(tmp_path: Path) -> None:
    async with own_hub(tmp_path) as (hub, client):
        await hub.db.dispose()
        (tmp_path / "rabt.db").unlink()
        (tmp_path / "rabt.db").mkdir()  # now no database can be opened there
        response = await client.get("/healthz")
    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_ERROR"
    assert "Traceback" not in response.text


async def test_graphql_answers_get_and_post_and_refuses_other_methods(sqlite_api: Api) -> None:
    """GET and POST take the app's short way to the endpoint (hub.web.app.HubApp); the rest, Starlette's."""
    client, typename = sqlite_api.client, {"data": {"__typename": "Query"}}
    assert (await client.get("/graphql", params={"query": "{ __typename }"})).json() == typename
    assert (await client.post("/graphql", json={"query": "{ __typename }"})).json() == typename
    for method in ("PUT", "DELETE", "PATCH"):
        refused = await client.request(method, "/graphql", json={"query": "{ __typename }"})
        assert (refused.status_code, refused.headers["allow"]) == (405, "GET, POST"), method
        assert refused.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    asked = {"x-request-id": "put-1", "accept": "application/graphql-response+json"}
    refused = await client.put("/graphql", json={"query": "{ __typename }"}, headers=asked)
    assert (refused.headers["x-request-id"], refused.headers["content-type"]) == (
        "put-1",
        "application/graphql-response+json",
    )


async def test_head_is_answered_as_get(sqlite_api: Api) -> None:
    """HEAD is GET without the body: the same status and headers (it was a 415 "POST a JSON body"),
    and a mutation is refused as over GET."""
    client = sqlite_api.client
    head = await client.head("/graphql", params={"query": "{ __typename }"})
    get = await client.get("/graphql", params={"query": "{ __typename }"})
    assert head.status_code == get.status_code == 200
    assert head.headers["content-type"] == get.headers["content-type"] and head.headers["x-request-id"]
    mutation = 'mutation { issueExitReentryVisa(input: {personId: "1", kind: SINGLE, days: 1}) { __typename } }'
    assert (await client.head("/graphql", params={"query": mutation})).status_code == 405


async def test_an_answer_whose_audit_cannot_be_written_is_withheld(tmp_path: Path) -> None:
    """The audit is written before the answer leaves: when it fails, the caller gets a JSON internal
    error and none of the data that was read."""
    query = {"query": "query($id: ID!) { person(id: $id) { nameEn } }", "variables": {"id": PERSONA["sponsor"]}}
    async with own_hub(tmp_path, seed_people=40) as (hub, client):
        headers = {"authorization": f"Bearer {hub.signer.issue(officer('passports'))}", "x-purpose": "testing"}
        answered = await client.post("/graphql", json=query, headers=headers)
        async with hub.db.connect() as connection:
            await connection.execute(text("DROP TABLE audit_trail"))
        withheld = await client.post("/graphql", json=query, headers=headers)
    assert answered.status_code == 200 and answered.json()["data"]["person"]["nameEn"]
    assert withheld.status_code == 500
    (error,) = withheld.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL_ERROR" and "data" not in withheld.json()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": "query A { __typename } query B { __typename }"}, "Must provide operation name"),
        ({"query": "query A { __typename }", "operationName": "B"}, "Unknown operation named 'B'"),
    ],
)
async def test_an_operation_that_cannot_be_chosen_is_a_request_error(
    sqlite_api: Api, body: dict[str, str], message: str
) -> None:
    """Which operation of the document to run is the request's to say: when it cannot be told,
    the answer is an error with a code and no `data` (a 500 with a stack trace in the log before)."""
    plain = await sqlite_api.client.post("/graphql", json=body)
    strict = await sqlite_api.client.post(
        "/graphql", json=body, headers={"accept": "application/graphql-response+json"}
    )
    assert plain.status_code == 200 and strict.status_code == 400
    for response in (plain, strict):
        (error,) = response.json()["errors"]
        assert message in error["message"] and error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "data" not in response.json()


async def test_a_document_is_validated_once_and_its_errors_given_again(sqlite_api: Api) -> None:
    """The validation is keyed by the parsed node `parse_document` returns for the same text, so
    the second request finds the first one's verdict."""
    query = "{ __typename nobody }"
    first = await sqlite_api.query(query)
    document = parse_document(query)  # the node the request was validated by, from parse_document's cache
    schema = sqlite_api.hub.schema._schema  # another hub in this process may have validated it too

    def verdicts() -> list[object]:
        return [entry for entry in _VALIDATED.entries.values() if entry[0] is schema and entry[1] is document]

    cached = verdicts()
    assert len(cached) == 1 and "nobody" in cached[0][2][0].message
    second = await sqlite_api.query(query)
    assert first == second and first["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert verdicts() == cached


async def test_what_a_request_read_is_freed_once_it_is_answered(api: Api) -> None:
    """graphql-core 3.3's execution context refers to itself, so it waits for the cyclic
    collector's next full pass, and so does whatever it reaches: the request's context. Rows,
    loader futures and audit notes must not wait with it (RSS grew ~0.15 MB/s under 100-person
    queries while they did)."""
    query = "query($ids: [ID!]!) { people(ids: $ids) { nameEn passports { iqama { status } visas { number } } } }"
    ids = [PERSONA["absconding_worker"], PERSONA["visitor"], PERSONA["sponsor"]]
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector would free is kept in gc.garbage to look at
    try:
        response = await api.post(query, {"ids": ids}, as_=officer("passports"))
        gc.collect()
        waited = Counter(
            type(found).__qualname__
            for found in gc.garbage
            if isinstance(found, (IdentityRecord, Visa, Iqama, AuditKey, asyncio.Future))
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert len(response.json()["data"]["people"]) == len(ids)
    assert waited == Counter()


async def test_the_hub_publishes_the_public_key_its_tokens_name(sqlite_api: Api) -> None:
    response = await sqlite_api.client.get("/.well-known/jwks.json")
    assert response.status_code == 200 and "max-age" in response.headers["cache-control"]
    (key,) = response.json()["keys"]
    assert "d" not in key and key["alg"] == "ES256"
    token = sqlite_api.token(officer("traffic"))
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]
