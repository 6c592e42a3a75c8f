"""The switch, the wiring, and the statements the compiled path sends."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from sqlalchemy import text

from hub.api.compiled import CompiledPath
from hub.api.limits import CACHED_DOCUMENT, parse_document
from hub.api.operations import shipped_operations
from hub.contract.principal import Principal, Role
from hub.data.keyed_statements import KeyedStatement
from hub.identity.loaders import person_by_id
from hub.settings import Settings
from hub.web.app import create_app
from tests.conftest import PERSONA, Api

PEOPLE = next(op.document for op in shipped_operations() if op.name == "PeopleStatus")
SERVICE = Principal(Role.SERVICE, client="t", scopes=frozenset({"identity", "passports"}))


def test_the_compiled_path_is_on_unless_rabt_compiled_is_0() -> None:
    assert Settings.from_env({}).compiled is True
    assert Settings.from_env({"RABT_COMPILED": "1"}).compiled is True
    assert Settings.from_env({"RABT_COMPILED": "0"}).compiled is False


async def _calls_of_compiled(api: Api, settings: Settings, body: dict[str, Any], monkeypatch: Any) -> tuple[int, bytes]:
    calls = []
    original = CompiledPath.answer

    async def spy(self: CompiledPath, *args: Any) -> Any:
        calls.append(args)
        return await original(self, *args)

    monkeypatch.setattr(CompiledPath, "answer", spy)
    app = create_app(settings, api.hub)  # its lifespan would seed: the hub is seeded already
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rabt.test") as client:
        response = await client.post("/graphql", json=body, headers=api.headers(SERVICE))
    monkeypatch.undo()
    return len(calls), response.content


async def test_persisted_documents_take_the_compiled_path_and_plain_text_seen_once_does_not(
    sqlite_api: Api, monkeypatch: Any
) -> None:
    api = sqlite_api
    variables = {"ids": [PERSONA["absconding_worker"], PERSONA["visitor"]]}
    digest = hashlib.sha256(PEOPLE.encode()).hexdigest()
    persisted = {
        "query": PEOPLE,
        "variables": variables,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
    }
    on = api.hub.settings.model_copy(update=dict(compiled=True))
    off = api.hub.settings.model_copy(update=dict(compiled=False))

    compiled_calls, compiled_body = await _calls_of_compiled(api, on, persisted, monkeypatch)
    plain_calls, plain_body = await _calls_of_compiled(api, on, {"query": PEOPLE, "variables": variables}, monkeypatch)
    off_calls, off_body = await _calls_of_compiled(api, off, persisted, monkeypatch)

    assert (compiled_calls, plain_calls, off_calls) == (1, 0, 0)
    assert compiled_body == plain_body == off_body


def test_plain_text_is_planned_after_rabt_plan_text_after_sightings() -> None:
    assert Settings.from_env({}).plan_text_after == 3
    assert Settings.from_env({"RABT_PLAN_TEXT_AFTER": "0", "RABT_PLAN_CACHE": "5"}).plan_text_after == 0
    assert Settings.from_env({"RABT_PLAN_CACHE": "5"}).plan_cache == 5


async def test_plain_text_takes_its_plan_once_seen_often_enough(api: Api, monkeypatch: Any) -> None:
    planned: list[bool] = []
    original = CompiledPath.answer

    async def spy(self: CompiledPath, *args: Any) -> Any:
        answer = await original(self, *args)
        planned.append(answer is not None)
        return answer

    monkeypatch.setattr(CompiledPath, "answer", spy)
    settings = api.hub.settings.model_copy(update=dict(compiled=True, plan_text_after=2))
    app = create_app(settings, api.hub)
    body = {"query": PEOPLE, "variables": {"ids": [PERSONA["absconding_worker"], PERSONA["visitor"]]}}
    answers = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rabt.test") as client:
        for _ in range(4):
            answers.append((await client.post("/graphql", json=body, headers=api.headers(SERVICE))).content)
    assert planned == [True, True]  # two sightings on the general path, then the plan
    assert len(set(answers)) == 1 and b'"errors"' not in answers[0]


def test_sightings_are_bounded_and_forget_the_least_recent_text(api: Api) -> None:
    hub = api.hub
    compiled = CompiledPath(hub.schema, hub.db, hub.relation_sources(), hub.sectors, capacity=2, plan_text_after=1)
    first, second, third = "{ a: __typename }", "{ b: __typename }", "{ c: __typename }"
    assert [compiled.accepts(first, None), compiled.accepts(first, None)] == [False, True]
    assert compiled.accepts(second, None) is False
    assert compiled.accepts(third, None) is False  # `first`, least recently seen, forgotten
    assert len(compiled.sightings) == 2
    assert compiled.accepts(first, None) is False
    assert compiled.accepts("{ d: __typename }", {"persistedQuery": {"version": 1}}) is True  # persisted: at once


def test_a_document_too_long_to_keep_is_planned_only_from_the_allow_list(api: Api) -> None:
    hub = api.hub
    long = "{ a: __typename }" + " " * CACHED_DOCUMENT
    persisted = {"persistedQuery": {"version": 1}}
    anyones = CompiledPath(hub.schema, hub.db, hub.relation_sources(), hub.sectors, plan_text_after=0)
    assert [anyones.accepts(long, persisted), anyones.accepts(long, None)] == [False, False]
    assert anyones.accepts(long.strip(), persisted) is True
    trusted = CompiledPath(hub.schema, hub.db, hub.relation_sources(), hub.sectors, trusted_documents=True)
    assert trusted.accepts(long, None) is True  # the allow-list bounds what is kept


async def test_in_trusted_documents_mode_every_document_is_persisted(sqlite_api: Api, monkeypatch: Any) -> None:
    api = sqlite_api
    trusted = api.hub.settings.model_copy(update=dict(compiled=True, trusted_documents=True))
    calls, body = await _calls_of_compiled(api, trusted, {"query": PEOPLE, "variables": {"ids": []}}, monkeypatch)
    assert calls == 1
    assert body == b'{"data":{"people":[]}}'


async def _answer(compiled: CompiledPath, ids: list[str]) -> Any:
    return await compiled.answer(PEOPLE, parse_document(PEOPLE), {"ids": ids}, None, SERVICE, "test")


async def test_one_statement_per_loader_whatever_the_number_of_people(api: Api) -> None:
    residents = [row[0] for row in await api.hub.db.fetch(text("SELECT person_id FROM passports_iqamas ORDER BY 1"))]
    hub = api.hub
    compiled = CompiledPath(hub.schema, hub.db, hub.relation_sources(), hub.sectors)
    counts = []
    for ids in (residents[:1], residents[:100]):
        before = compiled.rows.statements
        answer = await _answer(compiled, ids)
        assert answer is not None and "errors" not in answer.body
        assert len(answer.body["data"]["people"]) == len(ids)
        counts.append(compiled.rows.statements - before)
    assert counts == [4, 4]  # identity, then iqamas, visas and absconding reports


async def test_the_statements_are_the_loaders_own_text(api: Api) -> None:
    hub = api.hub
    ids = [PERSONA["absconding_worker"], PERSONA["sponsor"], PERSONA["visitor"]]
    sent: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    stop_listening = hub.db.on_statement(listen)
    try:
        general = await api.post(PEOPLE, {"ids": ids}, as_=SERVICE)  # the general path: the loaders
    finally:
        stop_listening()
    assert "errors" not in general.json()
    compiled = CompiledPath(hub.schema, hub.db, hub.relation_sources(), hub.sectors)
    plan, _ = compiled.plan_for(PEOPLE, parse_document(PEOPLE), {"ids": ids}, None)
    for loads in (person_by_id, *plan.loads):
        assert KeyedStatement(loads, len(ids), hub.db.engine.dialect).sql in sent, loads.table.name
