"""The embedded demo's callers: GraphiQL offers them, `POST /demo/token` signs their tokens, each
shipped tab answers its caller; in production mode the route is 404 and the page offers none."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import httpx
from graphql import NoDeprecatedCustomRule, parse, validate

from hub.contract.population import DEMO_ESTABLISHMENT
from hub.contract.principal import Principal, Role
from hub.settings import Settings
from hub.web.demo import TOKEN_PATH, TOKENS_PER_CLIENT
from hub.web.graphiql_tabs import graphiql_tabs
from tests.conftest import PERSONA, Api, own_hub

CONFIG = re.compile(r'<script type="application/json" id="rabt-graphiql-config">(.*?)</script>', re.S)


async def demo_headers(client: httpx.AsyncClient, persona: str) -> dict[str, str]:
    response = await client.post(TOKEN_PATH, json={"persona": persona})
    assert response.status_code == 200, response.text
    return response.json()["headers"]  # type: ignore[no-any-return]


async def page_config(client: httpx.AsyncClient) -> dict[str, Any]:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    found = CONFIG.search(page.text)
    assert found
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_the_demo_is_the_default_only_on_the_embedded_sqlite() -> None:
    postgres = {"RABT_DATABASE_URL": "postgresql+asyncpg://rabt@db/rabt"}
    assert not Settings.from_env({}).is_production
    assert Settings.from_env(postgres).is_production
    assert Settings(database_url=postgres["RABT_DATABASE_URL"]).is_production
    assert not Settings.from_env({**postgres, "RABT_MODE": "demo"}).is_production
    assert Settings.from_env({"RABT_MODE": "production"}).is_production


async def test_a_demo_token_names_the_caller_and_comes_with_a_purpose(sqlite_api: Api) -> None:
    expected = {
        "sponsor": Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"]),
        "guardian": Principal(Role.INDIVIDUAL, person_id=PERSONA["family_head"]),
        "traffic_officer": Principal(Role.OFFICER, person_id="1000000008", sector="traffic"),
        "analyst": Principal(Role.ANALYST, person_id="1000000008"),
    }
    for persona, principal in expected.items():
        headers = await demo_headers(sqlite_api.client, persona)
        scheme, token = headers["Authorization"].split()
        assert scheme == "Bearer" and headers["X-Purpose"]
        assert await sqlite_api.hub.verifier.verify(token, None) == principal
        assert "X-On-Behalf-Of" not in headers


async def test_the_establishment_user_comes_with_the_establishment_it_acts_for(sqlite_api: Api) -> None:
    headers = await demo_headers(sqlite_api.client, "establishment")
    _, token = headers["Authorization"].split()
    # The token names the person alone: the establishment travels beside it, checked on every request.
    assert await sqlite_api.hub.verifier.verify(token, None) == Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"])
    assert headers["X-On-Behalf-Of"] == DEMO_ESTABLISHMENT
    query = "query($n: ID!) { establishment(unifiedNumber: $n) { workers(first: 100) { entries { person { id } } } } }"
    response = await sqlite_api.client.post(
        "/graphql", json={"query": query, "variables": {"n": DEMO_ESTABLISHMENT}}, headers=headers
    )
    answer = response.json()
    assert "errors" not in answer, answer
    workers = answer["data"]["establishment"]["workers"]["entries"]
    assert workers and all(worker["person"]["id"] for worker in workers), workers


async def test_an_unknown_persona_or_a_body_that_is_not_json_is_a_bad_request(sqlite_api: Api) -> None:
    for request in ({"json": {"persona": "king"}}, {"json": ["sponsor"]}, {"content": b'{"persona": "sponsor"}'}):
        response = await sqlite_api.client.post(TOKEN_PATH, **request)
        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST" and "sponsor, guardian" in error["message"]


async def test_graphiql_offers_every_demo_caller_and_names_the_one_each_tab_needs(sqlite_api: Api) -> None:
    config = await page_config(sqlite_api.client)
    keys = [caller["key"] for caller in config["callers"]]
    officers = [f"{sector.name}_officer" for sector in sqlite_api.hub.sectors]
    assert keys == ["citizen", "resident", "sponsor", "guardian", "establishment", *officers, "analyst"]
    assert config["tokenUrl"] == TOKEN_PATH
    needed = [re.search(r"^# Caller: (\w+)$", example["query"], re.M) for example in config["examples"]]
    assert all(found and found.group(1) in keys for found in needed), needed


async def test_the_page_runs_no_inline_script_but_its_own_by_hash(sqlite_api: Api) -> None:
    page = await sqlite_api.client.get("/graphql", headers={"accept": "text/html"})
    policy = dict(part.strip().split(" ", 1) for part in page.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'"
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.S)
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert len(inline) == 1 and policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert not re.search(r"\son[a-z]+=", page.text), "no inline event handlers"


async def test_the_page_keeps_each_tabs_caller_fills_a_new_tabs_variables_and_reads_arabic_rtl(
    sqlite_api: Api,
) -> None:
    # What the browser does with these is checked by hand in a browser (CI has none); here, that the
    # page carries them.
    page = (await sqlite_api.client.get("/graphql", headers={"accept": "text/html"})).text
    script = re.findall(r"<script>(.*?)</script>", page, re.S)[0]
    assert "localStorage.setItem(CHOSEN" in script and "React.useState(stored)" in script
    assert "editors.variableEditor.setValue(variables)" in script
    assert ".result-window .cm-string { unicode-bidi: plaintext; }" in page


async def test_every_shipped_tab_answers_its_callers_token_with_data_and_no_errors(api: Api) -> None:
    for tab in graphiql_tabs():
        assert tab.caller, f"{tab.title}: no caller named"
        body = {"query": tab.query(), "variables": json.loads(tab.variables)}
        anonymous = (await api.client.post("/graphql", json=body)).json()
        assert anonymous.get("errors"), f"{tab.title}: answers without a caller"
        headers = await demo_headers(api.client, tab.caller)
        response = await api.client.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert "errors" not in answer, (tab.caller, answer["errors"])
        assert answer["data"] and all(value is not None for value in answer["data"].values()), answer


async def test_no_shipped_tab_selects_a_deprecated_field(sqlite_api: Api) -> None:
    schema = sqlite_api.hub.schema._schema
    for tab in graphiql_tabs():
        warnings = validate(schema, parse(tab.query()), [NoDeprecatedCustomRule])
        assert not warnings, (tab.title, [warning.message for warning in warnings])


async def test_production_mode_has_no_demo_token_route_and_no_demo_callers(tmp_path: Path) -> None:
    async with own_hub(tmp_path, mode="production") as (_, client):
        assert (await client.post(TOKEN_PATH, json={"persona": "sponsor"})).status_code == 404
        config = await page_config(client)
        assert config["callers"] == [] and config["tokenUrl"] is None
        assert re.search(r"^# Caller: resident$", config["examples"][0]["query"], re.M)  # still said in the tab


async def test_demo_tokens_are_rate_limited_per_client(tmp_path: Path) -> None:
    async with own_hub(tmp_path) as (_, client):
        for _ in range(TOKENS_PER_CLIENT.attempts):
            await demo_headers(client, "analyst")
        refused = await client.post(TOKEN_PATH, json={"persona": "analyst"})
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert refused.headers["retry-after"] == str(TOKENS_PER_CLIENT.window_seconds)
