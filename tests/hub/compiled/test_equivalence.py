"""The compiled path answers byte for byte as the general path, and writes the same audit entries.

A seeded generator writes documents over the schema (aliases, inline and named fragments,
`__typename`, @skip/@include with literals and variables with and without defaults); each is run
for one of several callers (self, sponsor, guardian, a sector officer, a scoped service, an
analyst, anonymous) with IDs chosen to meet every branch (known, related, unrelated, unknown but
valid, Eastern Arabic digits, duplicates, invalid, more than 100), once through the general path
(plain `query`) and once persisted (APQ), on the same seeded database. The response bytes, status
and media type must be identical, and so must the audit entries' contents. Every other case is sent
a third time as plain text to a path that plans plain text at once, with the same demands. The
counts of cases that took the compiled path and of each fallback reason are printed (`-s`) and
checked.

Each sector's subgraph is compared the same way on the documents a gateway sends it,
`_entities(representations: $representations) { ... on Person { <sector> { … } } }`: written by the
generator over the subgraph's schema, sent for the same callers with representations of known,
related, refused and unknown persons (now and then one the plan does not take: another type, an ID
not in its canonical form), some while the sector is down, through the general path and through a
subgraph endpoint that plans plain text at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest_asyncio
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.api.compiled import CompiledPath
from hub.api.persisted import PersistedQueries
from hub.api.schema import schema_for
from hub.audit.reading import recorded
from hub.audit.writer import AuditWriter
from hub.contract.national_id import with_check_digit
from hub.contract.principal import ANONYMOUS, Principal, Role
from hub.data.sectors import parse_faults
from hub.registry import installed_sectors
from hub.web.http import GraphQLEndpoint
from tests.conftest import PERSONA, Api
from tests.hub.compiled.generator import DocumentGenerator

CASES = 800
SEED = 20_260
SECTORS = tuple(sector.name for sector in installed_sectors())
READ_AT = dt.datetime(2026, 12, 5, 1, 2, 3, tzinfo=dt.UTC)
AUDITED = ("operation", "actor", "role", "acting_as", "subject_id", "sector", "fields", "action", "outcome", "purpose")


@dataclass
class Paths:
    """Three endpoints over one seeded hub: `/general` (never compiled), `/compiled` (persisted
    documents planned) and `/text` (plain-text documents planned at once)."""

    api: Api
    client: httpx.AsyncClient
    compiled: CompiledPath
    text_plans: CompiledPath
    subgraphs: dict[str, CompiledPath]  # each sector's subgraph at `/<sector>/text` (`/<sector>/general`)


@pytest_asyncio.fixture(loop_scope="session")
async def paths(api: Api) -> Any:
    hub = api.hub
    audit = AuditWriter(hub.db)  # one writer, one lock: the hash chain stays linear

    def endpoint(compiled: CompiledPath | None, schema: Any = hub.schema) -> Any:
        # A subgraph reads each sector on its own store (budget, fault), as `create_app` builds it.
        graphql = GraphQLEndpoint(
            schema=schema,
            db=hub.db,
            access_sources=hub.relation_sources(),
            verifier=hub.verifier,
            audit=audit,
            persisted=PersistedQueries(),
            graphiql=None,
            accounts=hub.accounts,
            compiled=compiled,
            clock=lambda: READ_AT,  # both paths read at one moment: `source { asOf }` compared too
            stores=hub.stores if schema is not hub.schema else None,
        )

        async def handle(request: Request) -> Response:  # a function: Starlette calls it with the request
            return await graphql(request)

        return handle

    compiled = CompiledPath(hub.schema, hub.db, hub.relation_sources(), hub.sectors)
    # Plain text planned at its first sighting, so that every text case meets its plan.
    text_plans = CompiledPath(hub.schema, hub.db, hub.relation_sources(), hub.sectors, plan_text_after=0)
    routes = [
        Route("/general", endpoint(None), methods=["POST"]),
        Route("/compiled", endpoint(compiled), methods=["POST"]),
        Route("/text", endpoint(text_plans), methods=["POST"]),
    ]
    subgraphs: dict[str, CompiledPath] = {}
    for sector in SECTORS:
        schema = schema_for(hub.sectors, sector)
        subgraphs[sector] = CompiledPath(
            schema, hub.db, hub.relation_sources(), hub.sectors, plan_text_after=0, stores=hub.stores
        )
        routes.append(Route(f"/{sector}/general", endpoint(None, schema), methods=["POST"]))
        routes.append(Route(f"/{sector}/text", endpoint(subgraphs[sector], schema), methods=["POST"]))
    app = Starlette(routes=routes)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rabt.test") as client:
        yield Paths(api, client, compiled, text_plans, subgraphs)


# ---- IDs and callers -------------------------------------------------------------------------------


async def _ids(api: Api) -> dict[str, list[str]]:
    async def column(sql: str) -> list[str]:
        return [row[0] for row in await api.hub.db.fetch(text(sql))]

    known = await column("SELECT id FROM identity_people ORDER BY id")
    with_data: list[str] = []
    for table, key in [
        ("passports_iqamas", "person_id"),
        ("passports_visas", "person_id"),
        ("passports_absconding_reports", "person_id"),
        ("traffic_vehicles", "owner_id"),
        ("traffic_violations", "person_id"),
        ("traffic_accident_reports", "person_id"),
        ("traffic_driving_licences", "person_id"),
        ("civil_affairs_id_cards", "person_id"),
        ("civil_affairs_deaths", "person_id"),
        ("civil_affairs_national_addresses", "person_id"),
        ("civil_defence_incident_reports", "person_id"),
        ("civil_defence_safety_permits", "owner_id"),
    ]:
        with_data += await column(f"SELECT DISTINCT {key} FROM {table} ORDER BY {key} LIMIT 6")
    workers = await column(f"SELECT person_id FROM passports_iqamas WHERE sponsor_id = '{PERSONA['sponsor']}'")
    children = await column(
        f"SELECT person_id FROM civil_affairs_births WHERE father_id = '{PERSONA['family_head']}' ORDER BY person_id"
    )
    present = set(known)
    unknown = [
        candidate for n in range(100_000_001, 100_000_040) if (candidate := with_check_digit(str(n))) not in present
    ]
    return {
        "known": list(PERSONA.values()) + known[::40] + sorted(set(with_data)),
        "workers": workers,
        "children": children,
        "unknown": unknown[:5],
        "invalid": ["1000000000", "123", "4010000019"],
    }


def _callers(rng: random.Random, ids: dict[str, list[str]]) -> tuple[str, Principal, list[str]]:
    """A caller and the IDs they most likely ask for."""
    kind = rng.choice(["self", "self", "sponsor", "guardian", "officer", "officer", "service", "analyst", "anonymous"])
    if kind == "self":
        me = rng.choice(ids["known"])
        return kind, Principal(Role.INDIVIDUAL, person_id=me), [me]
    if kind == "sponsor":
        return kind, Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"]), [PERSONA["sponsor"], *ids["workers"]]
    if kind == "guardian":
        family = [PERSONA["family_head"], *ids["children"], PERSONA["visitor"]]
        return kind, Principal(Role.INDIVIDUAL, person_id=PERSONA["family_head"]), family
    if kind == "officer":
        return kind, Principal(Role.OFFICER, person_id="1000000008", sector=rng.choice(SECTORS)), []
    if kind == "service":
        scopes = frozenset(rng.sample(["identity", *SECTORS], rng.randint(1, 5)))
        return kind, Principal(Role.SERVICE, client="equivalence", scopes=scopes), []
    if kind == "analyst":
        return kind, Principal(Role.ANALYST, person_id="1000000008"), []
    return kind, ANONYMOUS, []


def _one_id(rng: random.Random, ids: dict[str, list[str]], close: list[str]) -> str:
    roll = rng.random()
    if close and roll < 0.5:
        return rng.choice(close)
    if roll < 0.8:
        return rng.choice(ids["known"])
    if roll < 0.9:
        return rng.choice(ids["unknown"])
    if roll < 0.97:
        return rng.choice(ids["known"]).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    return rng.choice(ids["invalid"])


def _id_list(rng: random.Random, ids: dict[str, list[str]], close: list[str]) -> list[str]:
    roll = rng.random()
    if roll < 0.02:
        return [rng.choice(ids["known"])] * 101  # over the limit: TOO_MANY_IDS
    if roll < 0.05:
        return []
    count = rng.choice([1, 1, 2, 3, 4, 6, 9])
    chosen = [_one_id(rng, ids, close) for _ in range(count)]
    if rng.random() < 0.2:
        chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(chosen))  # a duplicate
    return chosen


def _has_person(data: Any) -> bool:
    values = list((data or {}).values())
    people = [v for value in values for v in (value if isinstance(value, list) else [value])]
    return any(isinstance(person, dict) for person in people)


# ---- the test --------------------------------------------------------------------------------------


async def test_the_compiled_path_answers_byte_for_byte_as_the_general_path(paths: Paths) -> None:
    api, client, compiled = paths.api, paths.client, paths.compiled
    rng = random.Random(SEED)
    generator = DocumentGenerator(api.hub.schema._schema, SEED)
    ids = await _ids(api)
    outcomes: Counter[str] = Counter()
    callers: Counter[str] = Counter()
    compiled_by_caller: Counter[str] = Counter()
    shapes: Counter[str] = Counter()
    requests: list[tuple[str, str, str]] = []  # (general request id, compiled or text request id, document)
    text_cases = 0  # plain-text cases answered by their plan
    started = time.perf_counter()
    for case in range(CASES):
        document = generator.document()
        kind, principal, close = _callers(rng, ids)
        variables = dict(document.variables)
        query = document.text
        if "person" in document.roots:
            person_id = _one_id(rng, ids, close)
            if "$id" in query:
                variables["id"] = person_id
            else:
                query = query.replace("@ID@", person_id)
        if "people" in document.roots:
            variables["ids"] = _id_list(rng, ids, close)
        headers = api.headers(principal)
        general_id, compiled_id = f"g-{case}-{uuid.uuid4().hex[:8]}", f"c-{case}-{uuid.uuid4().hex[:8]}"
        body: dict[str, Any] = {"query": query, "variables": variables}
        if document.operation_name:
            body["operationName"] = document.operation_name
        general = await client.post("/general", json=body, headers={**headers, "x-request-id": general_id})

        digest = hashlib.sha256(query.encode()).hexdigest()
        persisted = {**body, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
        if case % 3 == 0:  # registered already: send the hash alone (an APQ hit)
            await client.post("/compiled", json=persisted, headers=headers)
            persisted.pop("query")
        before = Counter(compiled.stats)
        fast = await client.post("/compiled", json=persisted, headers={**headers, "x-request-id": compiled_id})
        # "compiled" or "fallback: <reason>"; nothing when refused before (limits, token): both paths alike
        outcome = next((compiled.stats - before).elements(), "refused before planning")

        context = f"case {case} ({kind}, {api.backend}):\n{query}\nvariables: {orjson.dumps(variables).decode()}"
        assert fast.status_code == general.status_code, context
        assert fast.headers["content-type"] == general.headers["content-type"], context
        assert fast.content == general.content, f"{context}\ngeneral:  {general.text}\ncompiled: {fast.text}"
        if case % 2:  # every other case as plain text too, answered by its plan (half keeps the suite lean)
            text_id = f"t-{case}-{uuid.uuid4().hex[:8]}"
            before = Counter(paths.text_plans.stats)
            planned = await client.post("/text", json=body, headers={**headers, "x-request-id": text_id})
            assert next((paths.text_plans.stats - before).elements(), outcome) == outcome, context
            assert planned.status_code == general.status_code, context
            assert planned.content == general.content, f"{context}\ngeneral:  {general.text}\ntext: {planned.text}"
            requests.append((general_id, text_id, context))
            text_cases += outcome == "compiled"
        callers[kind] += 1
        if outcome == "compiled":
            answered = orjson.loads(fast.content)
            shapes["with errors (refusals)"] += "errors" in answered
            shapes["with a person's data"] += _has_person(answered.get("data"))
            shapes["with a sector's source"] += b'"asOf"' in fast.content
        outcomes[outcome] += 1
        compiled_by_caller[kind] += outcome == "compiled"
        requests.append((general_id, compiled_id, context))

    entries = await recorded(api.hub.db, request_ids=[rid for pair in requests for rid in pair[:2]])
    by_request: dict[str, list[tuple[Any, ...]]] = {}
    for entry in entries:
        by_request.setdefault(entry.request_id, []).append(tuple(getattr(entry, name) for name in AUDITED))
    audited = 0
    for general_id, compiled_id, context in requests:
        expected = by_request.get(general_id, [])
        assert by_request.get(compiled_id, []) == expected, f"audit entries differ for {context}"
        audited += bool(expected)

    elapsed = time.perf_counter() - started
    took_fast = outcomes["compiled"]
    fallbacks = {reason: count for reason, count in sorted(outcomes.items()) if reason != "compiled"}
    print(
        f"\n[{api.backend}] {CASES} cases in {elapsed:.1f}s: {took_fast} compiled ({took_fast / CASES:.0%}), "
        f"{CASES - took_fast} general; {audited} cases wrote audit entries, all identical"
        f"\n  compiled answers: {dict(shapes)}"
        f"\n  compiled by caller: {dict(sorted((k, f'{compiled_by_caller[k]}/{n}') for k, n in callers.items()))}"
        f"\n  general path, by reason: {fallbacks}"
    )
    assert outcomes["fallback: validation"] == 0, "the generator wrote an invalid document"
    assert took_fast >= 0.55 * CASES, "too few cases took the compiled path to prove much"
    assert text_cases >= 0.25 * CASES, "too few plain-text cases were answered by their plan"
    assert audited >= 0.3 * CASES
    assert shapes["with a sector's source"] >= 0.02 * CASES, "too few compiled answers told a sector's source"


async def test_the_shipped_operations_answer_alike_for_every_caller_and_for_one_hundred_people(paths: Paths) -> None:
    api, client, compiled = paths.api, paths.client, paths.compiled
    residents = [row[0] for row in await api.hub.db.fetch(text("SELECT person_id FROM passports_iqamas ORDER BY 1"))]
    callers = {
        "self": Principal(Role.INDIVIDUAL, person_id=PERSONA["absconding_worker"]),
        "sponsor": Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"]),
        "passports officer": Principal(Role.OFFICER, person_id="1000000008", sector="passports"),
        "traffic officer": Principal(Role.OFFICER, person_id="1000000008", sector="traffic"),
        "service": Principal(Role.SERVICE, client="t", scopes=frozenset({"identity", "passports", "civil_defence"})),
        "anonymous": ANONYMOUS,
    }
    cases = [
        ("PersonStatus", {"id": PERSONA["absconding_worker"]}),
        ("PeopleStatus", {"ids": [PERSONA["absconding_worker"], PERSONA["sponsor"], PERSONA["visitor"]]}),
        ("PeopleStatus", {"ids": residents[:100]}),
        ("SponsorWorkers", {"id": PERSONA["sponsor"]}),  # `sponsored` has its own resolver: general path
    ]
    from hub.api.operations import shipped_operations

    documents = {op.name: op.document for op in shipped_operations()}
    took: Counter[str] = Counter()
    for name, variables in cases:
        for caller, principal in callers.items():
            query = documents[name]
            digest = hashlib.sha256(query.encode()).hexdigest()
            body = {"query": query, "variables": variables}
            general = await client.post("/general", json=body, headers=api.headers(principal))
            before = compiled.stats["compiled"]
            persisted = {**body, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
            fast = await client.post("/compiled", json=persisted, headers=api.headers(principal))
            took[name] += compiled.stats["compiled"] > before
            assert fast.content == general.content, f"{name} as {caller}"
    assert took == {"PersonStatus": len(callers), "PeopleStatus": 2 * len(callers), "SponsorWorkers": 0}


# ---- a sector subgraph's `_entities` ---------------------------------------------------------------

ENTITY_CASES = 240


def _representations(rng: random.Random, ids: dict[str, list[str]], close: list[str]) -> list[Any]:
    """What a gateway names: persons it found through identity (related, known, unknown), and now and
    then a representation the plan does not take."""
    chosen: list[Any] = []
    for _ in range(rng.choice([1, 1, 2, 3, 5, 8])):
        roll = rng.random()
        pool = close if close and roll < 0.45 else ids["unknown"] if roll > 0.88 else ids["known"]
        chosen.append({"__typename": "Person", "id": rng.choice(pool)})
    odd = rng.random()
    if odd < 0.03:
        chosen.append({"__typename": "Vehicle", "id": rng.choice(ids["known"])})  # a type this subgraph lacks
    elif odd < 0.06:
        arabic = rng.choice(ids["known"]).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        chosen.append({"__typename": "Person", "id": arabic})
    elif odd < 0.08:
        chosen.append({"__typename": "Person", "id": rng.choice(ids["known"]), "extra": 1})
    return chosen


async def _both(
    paths: Paths, sector: str, body: dict[str, Any], headers: dict[str, str], case: str
) -> tuple[httpx.Response, bytes, str, tuple[str, str]]:
    """The general path's answer, the planning subgraph's body (its request id, which an internal
    error quotes, read as the general request's), the outcome, and the two request ids."""
    general_id, text_id = f"sg-{case}-{uuid.uuid4().hex[:8]}", f"st-{case}-{uuid.uuid4().hex[:8]}"
    general = await paths.client.post(f"/{sector}/general", json=body, headers={**headers, "x-request-id": general_id})
    before = Counter(paths.subgraphs[sector].stats)
    planned = await paths.client.post(f"/{sector}/text", json=body, headers={**headers, "x-request-id": text_id})
    outcome = next((paths.subgraphs[sector].stats - before).elements(), "refused before planning")
    assert planned.status_code == general.status_code, body
    assert planned.headers["content-type"] == general.headers["content-type"], body
    return general, planned.content.replace(text_id.encode(), general_id.encode()), outcome, (general_id, text_id)


async def _same_audit(api: Api, requests: list[tuple[str, str, str]]) -> int:
    """Asserts each pair of requests wrote the same audit entries; how many pairs wrote any."""
    entries = await recorded(api.hub.db, request_ids=[rid for pair in requests for rid in pair[:2]])
    by_request: dict[str, list[tuple[Any, ...]]] = {}
    for entry in entries:
        by_request.setdefault(entry.request_id, []).append(tuple(getattr(entry, name) for name in AUDITED))
    for general_id, planned_id, context in requests:
        assert by_request.get(planned_id, []) == by_request.get(general_id, []), f"audit entries differ for {context}"
    return sum(bool(by_request.get(general_id)) for general_id, _, _ in requests)


async def test_a_sector_subgraph_answers_the_gateways_entities_byte_for_byte_through_its_plans(paths: Paths) -> None:
    api = paths.api
    rng = random.Random(SEED + 1)
    generators = {sector: DocumentGenerator(schema_for(api.hub.sectors, sector)._schema, SEED) for sector in SECTORS}
    ids = await _ids(api)
    outcomes: Counter[str] = Counter()
    shapes: Counter[str] = Counter()
    requests: list[tuple[str, str, str]] = []
    stores = api.hub.stores
    for case in range(ENTITY_CASES):
        sector = SECTORS[case % len(SECTORS)]
        document = generators[sector].entities()
        kind, principal, close = _callers(rng, ids)
        variables = {**document.variables, "representations": _representations(rng, ids, close)}
        body: dict[str, Any] = {"query": document.text, "variables": variables}
        if document.operation_name:
            body["operationName"] = document.operation_name
        down = case % 23 == 5  # the sector's database unreachable: SECTOR_UNAVAILABLE, whichever path
        context = f"case {case} ({kind} on {sector}{', down' if down else ''}):\n{document.text}\n{variables}"
        saved = dict(stores.faults)
        if down:
            stores.faults.update(parse_faults(f"{sector}=down"))
        try:
            general, planned, outcome, pair = await _both(paths, sector, body, api.headers(principal), f"{case}")
        finally:
            stores.faults.clear()
            stores.faults.update(saved)
        assert planned == general.content, f"{context}\ngeneral: {general.text}\nplanned: {planned.decode()}"
        requests.append((*pair, context))
        outcomes[outcome] += 1
        shapes["sector unavailable"] += b"SECTOR_UNAVAILABLE" in general.content
        if outcome == "compiled":
            shapes["compiled with a refusal"] += b"FORBIDDEN" in planned
            shapes["compiled with records"] += b'"asOf"' in planned or b'"status"' in planned
    audited = await _same_audit(api, requests)
    print(f"\n[{api.backend}] {ENTITY_CASES} entity cases: {dict(outcomes)}; {dict(shapes)}; {audited} audited")
    assert outcomes["fallback: validation"] == 0, "the generator wrote an invalid document"
    assert outcomes["compiled"] >= 0.5 * ENTITY_CASES, "too few entity cases took their plan to prove much"
    assert outcomes["fallback: representation"] > 0 and outcomes["fallback: representation's ID not canonical"] > 0
    assert shapes["compiled with a refusal"] >= 10 and shapes["compiled with records"] >= 10
    assert shapes["sector unavailable"] >= 3
    assert audited >= 0.3 * ENTITY_CASES


ENTITIES = """query($representations: [_Any!]!) {
  _entities(representations: $representations) { __typename ... on Person { id passports { iqama { status } } } }
}"""


async def test_one_plan_answers_every_representation_a_related_refused_and_unknown_person_alike(paths: Paths) -> None:
    api = paths.api
    sponsor = Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"])
    ids = await _ids(api)
    worker, unrelated, unknown = PERSONA["absconding_worker"], PERSONA["unpaid_violations"], ids["unknown"][0]
    plans = paths.subgraphs["passports"].plans
    asked = [[worker, unrelated, unknown], [unknown, worker], [unrelated, worker, worker]]
    requests: list[tuple[str, str, str]] = []
    answers = []
    for index, named in enumerate(asked):
        body = {"query": ENTITIES, "variables": {"representations": [{"__typename": "Person", "id": i} for i in named]}}
        general, planned, outcome, pair = await _both(paths, "passports", body, api.headers(sponsor), f"fixed-{index}")
        assert outcome == "compiled", (named, outcome)
        assert planned == general.content, f"{named}\ngeneral: {general.text}\nplanned: {planned.decode()}"
        requests.append((*pair, str(named)))
        answers.append(orjson.loads(planned))
        if index == 0:
            planned_once = len(plans)
    assert len(plans) == planned_once, "a plan per document, whatever the representations"
    first = answers[0]
    assert first["data"]["_entities"][0]["passports"]["iqama"] is not None  # the sponsor reads his worker
    refused = sorted((tuple(e["path"]), e["extensions"]["code"]) for e in first["errors"])
    assert refused == [(("_entities", 1, "passports"), "FORBIDDEN"), (("_entities", 2, "passports"), "FORBIDDEN")]
    assert await _same_audit(api, requests) == len(asked)
    entries = await recorded(api.hub.db, request_ids=[requests[0][1]])
    assert {(entry.subject_id, entry.sector) for entry in entries} == {(worker, "passports")}


async def test_a_malformed_representation_is_that_entitys_error_with_a_stable_code(paths: Paths) -> None:
    """An extra key or an ID that is no person's ID: the entity's own error, BAD_USER_INPUT or
    INVALID_ID, never an internal one; Eastern Arabic digits read as the ID they spell."""
    officer = Principal(Role.OFFICER, person_id="1000000008", sector="passports")
    worker = PERSONA["absconding_worker"]
    arabic = worker.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    representations = [
        {"__typename": "Person", "id": worker, "extra": 1},
        {"__typename": "Person", "id": "12345"},
        {"__typename": "Person", "id": arabic},
    ]
    body = {"query": ENTITIES, "variables": {"representations": representations}}
    general, planned, _, _ = await _both(paths, "passports", body, paths.api.headers(officer), "malformed")
    assert planned == general.content
    answer = general.json()
    codes = sorted((tuple(error["path"]), error["extensions"]["code"]) for error in answer["errors"])
    assert codes == [(("_entities", 0), "BAD_USER_INPUT"), (("_entities", 1), "INVALID_ID")], answer
    assert answer["data"]["_entities"][2]["id"] == worker
