"""The federated shape answers exactly as the all-in-one hub does, and trusts no one else.

Real processes on loopback: the identity subgraph and every sector subgraph (uvicorn), composed by
@apollo/composition and served by Hive Gateway, next to the all-in-one hub, all over one seeded
PostgreSQL database. The same queries, with the same callers, must give the same JSON.

Deployed as docker-compose.yml deploys it: each subgraph connects as its own database role
(`python -m hub db-roles`), only identity and the hub hold the token signing key (the sectors
fetch identity's JWKS), and the gateway signs every subgraph request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from hub.access.keys import SigningKey
from hub.access.tokens import TokenIssuer
from hub.api.federation import FEDERATION_DIR, Subgraph, compose, gateway_command, node_available, subgraph_sdl
from hub.cli.db_roles import HUB_ROLE, apply, privileges
from hub.contract.calendar import riyadh_today
from hub.contract.principal import Principal, Role
from hub.registry import installed_sectors
from hub.web.gateway_signature import EXTENSION, GatewaySignature
from tests.conftest import (
    IN_CI,
    PERSONA,
    _create_postgres_database,
    _drop_postgres_database,
    connected,
    service_unavailable,
)
from tests.federation.processes import free_port, hub_command, running
from tests.forged_tokens import forgeries, officer_claims
from tests.hub.test_db_roles import drop_roles

pytestmark = [pytest.mark.node, pytest.mark.postgres]
PEOPLE = 800
GATEWAY_SECRET = "federation-test-secret-" + "x" * 40
KEY = SigningKey.generate()


@dataclass
class Shapes:
    hub_url: str
    gateway_url: str
    signer: TokenIssuer
    supergraph: str
    subgraphs: dict[str, str]  # name -> URL
    database_url: str  # the owner's: the tests change the seeded data through it
    environments: dict[str, dict[str, str]]  # each subgraph's RABT_* configuration
    logs: Path  # each process's output: <name>.log

    def ask(self, url: str, query: str, variables: dict[str, Any] | None, as_: Principal | None) -> dict[str, Any]:
        headers = {}
        if as_ is not None:
            headers["authorization"] = f"Bearer {self.signer.issue(as_)}"
            headers["x-purpose"] = "federation test"
        response = httpx.post(url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def _require_node() -> None:
    if not node_available():
        error = FileNotFoundError(f"node or {FEDERATION_DIR}/node_modules (./dev test installs them)")
        if IN_CI:
            pytest.fail(f"Node.js federation peers missing: {error}", pytrace=False)
        pytest.skip(f"Node.js federation peers missing: {error}")


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shapes]:
    _require_node()
    try:
        database_url = asyncio.run(_create_postgres_database())
    except OSError as error:
        service_unavailable("PostgreSQL", error)
    logs = tmp_path_factory.mktemp("federation-logs")
    prefix = f"rabt_f{uuid.uuid4().hex[:8]}"
    common = {k: v for k, v in os.environ.items() if not k.startswith("RABT_")}
    common |= {"RABT_DATA_DIR": str(logs), "RABT_SEED_PEOPLE": "0", "RABT_MODE": "production"}
    sectors = installed_sectors()
    graphs = [Subgraph("identity", free_port())] + [Subgraph(s.name, free_port()) for s in sectors]
    jwks_url = f"http://127.0.0.1:{graphs[0].port}/.well-known/jwks.json"

    def as_role(name: str) -> str:
        return make_url(database_url).set(username=f"{prefix}_{name}").render_as_string(hide_password=False)

    signing = {"RABT_TOKEN_PRIVATE_KEY": KEY.to_pem(), "RABT_OTP_PEPPER": GATEWAY_SECRET[::-1]}
    # Where each part asks another sector's rules (its subgraph's /checks), as compose-file sets it.
    peers = {f"RABT_{graph.name.upper()}_SUBGRAPH_URL": f"http://127.0.0.1:{graph.port}" for graph in graphs[1:]}
    environments = {
        graph.name: {
            "RABT_DATABASE_URL": as_role(graph.name),
            "RABT_GATEWAY_HMAC_SECRET": GATEWAY_SECRET,
            **peers,
            **(signing if graph.name == "identity" else {"RABT_TOKEN_JWKS_URL": jwks_url}),
        }
        for graph in graphs
    }
    try:
        owner = {**common, "RABT_DATABASE_URL": database_url}
        subprocess.run(hub_command("seed", "--people", str(PEOPLE)), env=owner, check=True, capture_output=True)
        asyncio.run(apply(database_url, privileges(sectors), prefix, passwords={}))
        supergraph_path = logs / "supergraph.graphql"
        supergraph = compose([(graph, subgraph_sdl(sectors, graph.name)) for graph in graphs])
        supergraph_path.write_text(supergraph)
        hub_port, gateway_port = free_port(), free_port()
        gateway_env = {k: v for k, v in common.items() if k not in ("HOST", "PORT", "CONFIG_PATH", "POLLING")}
        gateway_env.update(
            RABT_SUPERGRAPH=str(supergraph_path),
            RABT_GATEWAY_PORT=str(gateway_port),
            RABT_GATEWAY_HMAC_SECRET=GATEWAY_SECRET,
        )
        with contextlib_exit_stack() as stack:
            for graph in graphs:
                stack.enter_context(
                    running(
                        hub_command("subgraph", graph.name, "--port", str(graph.port)),
                        {**common, **environments[graph.name]},
                        f"http://127.0.0.1:{graph.port}/healthz",
                        logs / f"{graph.name}.log",
                    )
                )
            stack.enter_context(
                running(
                    hub_command("serve", "--port", str(hub_port), "--log-level", "warning"),
                    {**common, **signing, "RABT_DATABASE_URL": as_role(HUB_ROLE)},
                    f"http://127.0.0.1:{hub_port}/healthz",
                    logs / "hub.log",
                )
            )
            stack.enter_context(
                running(
                    gateway_command(),
                    gateway_env,
                    f"http://127.0.0.1:{gateway_port}/readiness",
                    logs / "gateway.log",
                )
            )
            yield Shapes(
                hub_url=f"http://127.0.0.1:{hub_port}/graphql",
                gateway_url=f"http://127.0.0.1:{gateway_port}/graphql",
                signer=TokenIssuer(KEY),
                supergraph=supergraph,
                database_url=database_url,
                subgraphs={graph.name: graph.url for graph in graphs},
                environments=environments,
                logs=logs,
            )
    finally:
        asyncio.run(_drop_postgres_database(database_url))
        asyncio.run(drop_roles(prefix))


def contextlib_exit_stack() -> Any:
    import contextlib

    return contextlib.ExitStack()


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """What both shapes must agree on: the data, and each error's path, code and message.
    (The gateway adds `serviceName`, drops `locations`, and may order errors differently.)"""
    errors = sorted(
        (tuple(error.get("path") or ()), (error.get("extensions") or {}).get("code"), error["message"])
        for error in answer.get("errors", [])
    )
    return {"data": answer.get("data"), "errors": errors}


HEADLINE = Path(__file__).resolve().parents[2].joinpath("hub/api/operations/PersonStatus.graphql").read_text()

CASES: list[tuple[str, str, dict[str, Any] | None, Principal | None]] = [
    (
        "the headline query, as the resident herself",
        HEADLINE,
        {"id": PERSONA["absconding_worker"]},
        Principal(Role.INDIVIDUAL, person_id=PERSONA["absconding_worker"]),
    ),
    (
        "several people, as a passports officer",
        "query($ids: [ID!]!) { people(ids: $ids) { id nameEn passports { iqama { status } visas { kind status } } } }",
        {"ids": [PERSONA["absconding_worker"], PERSONA["sponsor"], PERSONA["visitor"]]},
        Principal(Role.OFFICER, person_id="1000000008", sector="passports"),
    ),
    (
        "nested relations: a sponsor's workers by name",
        "query($id: ID!) { person(id: $id) { passports { sponsored { person { id nameEn } iqama { status } } } } }",
        {"id": PERSONA["sponsor"]},
        Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"]),
    ),
    (
        "an invalid ID",
        '{ person(id: "1000000000") { id } }',
        None,
        Principal(Role.OFFICER, person_id="1000000008", sector="traffic"),
    ),
    (
        "a refused sector field: a traffic officer asks for passports data",
        "query($id: ID!) { person(id: $id) {"
        " nameEn traffic { violations { status } } passports { iqama { status } } } }",
        {"id": PERSONA["absconding_worker"]},
        Principal(Role.OFFICER, person_id="1000000008", sector="traffic"),
    ),
    (
        "a guardian reads a minor's civil affairs and traffic records",
        "query($id: ID!) { person(id: $id) {"
        " nameAr civilAffairs { birth { bornOn { gregorian hijri } } } traffic { vehicles { make } } } }",
        {"id": PERSONA["minor_child"]},
        Principal(Role.INDIVIDUAL, person_id=PERSONA["family_head"]),
    ),
    ("anonymous sees nothing", HEADLINE, {"id": PERSONA["sponsor"]}, None),
    (
        "a sponsor recognises the worker but reads no personal details",
        "query($id: ID!) { person(id: $id) { id nameEn bornOn { gregorian } mobile passports { iqama { status } } } }",
        {"id": PERSONA["absconding_worker"]},
        Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"]),
    ),
    (
        "the head of a family reads the members' entries in his register",
        "query($id: ID!) { person(id: $id) {"
        " civilAffairs { familyRegister { members { relation person { id } } } } } }",
        {"id": PERSONA["family_head"]},
        Principal(Role.INDIVIDUAL, person_id=PERSONA["family_head"]),
    ),
]


@pytest.mark.parametrize(("title", "query", "variables", "as_"), CASES, ids=[case[0] for case in CASES])
def test_the_gateway_answers_exactly_as_the_hub(
    shapes: Shapes, title: str, query: str, variables: dict[str, Any] | None, as_: Principal | None
) -> None:
    through_hub = shapes.ask(shapes.hub_url, query, variables, as_)
    through_gateway = shapes.ask(shapes.gateway_url, query, variables, as_)
    # An answer worth comparing: data, and no error the hub itself failed with.
    assert isinstance(through_hub.get("data"), dict), (title, through_hub)
    assert not any(e.get("extensions", {}).get("code") == "INTERNAL_ERROR" for e in through_hub.get("errors", ())), (
        title
    )
    assert comparable(through_gateway) == comparable(through_hub), title


def test_through_the_gateway_the_identity_subgraph_withholds_details_from_a_sponsor(shapes: Shapes) -> None:
    query = "query($id: ID!) { person(id: $id) { nameEn bornOn { gregorian } } }"
    answer = shapes.ask(
        shapes.gateway_url,
        query,
        {"id": PERSONA["absconding_worker"]},
        Principal(Role.INDIVIDUAL, person_id=PERSONA["sponsor"]),
    )
    assert answer["data"]["person"]["nameEn"] and answer["data"]["person"]["bornOn"] is None
    assert [(e["extensions"]["code"], e["path"]) for e in answer["errors"]] == [("FORBIDDEN", ["person", "bornOn"])]


async def _on_database(shapes: Shapes, sql: str, *arguments: Any) -> Any:
    async with connected(shapes.database_url) as connection:
        return await connection.fetchval(sql, *arguments)


def test_through_the_gateway_a_host_reads_the_visitor_only_while_the_visit_visa_is_in_force(shapes: Shapes) -> None:
    visitor, host = PERSONA["visitor"], Principal(Role.INDIVIDUAL, person_id=PERSONA["family_head"])
    query = "query($id: ID!) { person(id: $id) { id passports { visas { number } } } }"
    assert shapes.ask(shapes.gateway_url, query, {"id": visitor}, host)["data"]["person"]["id"] == visitor
    until = asyncio.run(
        _on_database(shapes, "SELECT valid_until FROM passports_visas WHERE person_id = $1 AND kind = 'visit'", visitor)
    )
    change = "UPDATE passports_visas SET valid_until = $2 WHERE person_id = $1 AND kind = 'visit'"
    asyncio.run(_on_database(shapes, change, visitor, riyadh_today() - dt.timedelta(days=1)))
    try:
        refused = shapes.ask(shapes.gateway_url, query, {"id": visitor}, host)
    finally:
        asyncio.run(_on_database(shapes, change, visitor, until))
    assert refused["data"]["person"] is None
    assert [error["extensions"]["code"] for error in refused["errors"]] == ["FORBIDDEN"]


def test_through_the_gateway_finding_a_person_is_an_audited_read(shapes: Shapes) -> None:
    subject = PERSONA["minor_child"]
    # The records themselves: the per-person index follows them after the answer (hub/audit/index.py).
    count = "SELECT count(*) FROM audit_trail WHERE strpos(entries, '\"' || $1 || '\"') > 0"
    before = asyncio.run(_on_database(shapes, count, subject))
    officer = Principal(Role.OFFICER, person_id="1000000008", sector="traffic")
    answer = shapes.ask(shapes.gateway_url, "query($id: ID!) { person(id: $id) { id } }", {"id": subject}, officer)
    assert answer == {"data": {"person": {"id": subject}}}
    assert asyncio.run(_on_database(shapes, count, subject)) == before + 1


async def _records_after(shapes: Shapes, last: int) -> list[tuple[Any, ...]]:
    """The audit records appended after record `last`, as what they say (not when, not which request)."""
    async with connected(shapes.database_url) as connection:
        rows = await connection.fetch(
            "SELECT operation, actor, role, purpose, entries FROM audit_trail WHERE id > $1", last
        )
    return sorted(tuple(row) for row in rows)


def test_asked_again_the_subgraphs_answer_the_gateways_documents_from_plans_alike(shapes: Shapes) -> None:
    """The gateway sends each subgraph the same documents (`_entities` with other representations)
    on every request; from a document's fourth sighting (RABT_PLAN_TEXT_AFTER) a subgraph answers it
    from its plan. Answers and audit records stay what the first ones, on the general path, were."""
    for title, query, variables, as_ in (CASES[0], CASES[1], CASES[4]):
        expected = comparable(shapes.ask(shapes.hub_url, query, variables, as_))
        audits = []
        for _ in range(5):
            last = asyncio.run(_on_database(shapes, "SELECT coalesce(max(id), 0) FROM audit_trail"))
            assert comparable(shapes.ask(shapes.gateway_url, query, variables, as_)) == expected, title
            audits.append(asyncio.run(_records_after(shapes, last)))
        assert audits[0] and all(audit == audits[0] for audit in audits), title


def test_the_supergraph_names_every_subgraph(shapes: Shapes) -> None:
    for name in ("IDENTITY", "PASSPORTS", "TRAFFIC", "CIVIL_AFFAIRS", "CIVIL_DEFENCE"):
        assert f"{name} @join__graph" in shapes.supergraph


def test_node_is_on_path_for_the_gateway() -> None:
    _require_node()
    assert shutil.which("node")


def _direct(url: str, query: str, variables: dict[str, Any] | None, headers: dict[str, str], sign: str | None) -> Any:
    """A request sent to a subgraph itself, signed as the gateway signs with `sign` (None: unsigned)."""
    body: dict[str, Any] = {"query": query, "variables": variables}
    if sign is not None:
        body["extensions"] = {EXTENSION: GatewaySignature(sign).sign(query, variables)}
        headers = {**headers, **GatewaySignature(sign).sign_client("127.0.0.1")}
    return httpx.post(url, json=body, headers=headers, timeout=30)


IDENTITY_QUERY = "query($id: ID!) { person(id: $id) { id nameEn } }"


def test_a_direct_unsigned_call_to_a_subgraph_is_refused_while_the_gateway_answers(shapes: Shapes) -> None:
    officer = Principal(Role.OFFICER, person_id="1000000008", sector="passports")
    headers = {"authorization": f"Bearer {shapes.signer.issue(officer)}", "x-purpose": "federation test"}
    variables = {"id": PERSONA["sponsor"]}
    through_gateway = httpx.post(
        shapes.gateway_url, json={"query": IDENTITY_QUERY, "variables": variables}, headers=headers, timeout=30
    )
    assert "errors" not in through_gateway.json(), through_gateway.text
    assert through_gateway.json()["data"]["person"]["id"] == PERSONA["sponsor"]
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    representations = {"r": [{"__typename": "Person", "id": PERSONA["sponsor"]}]}
    for name, url in shapes.subgraphs.items():
        query, given = (IDENTITY_QUERY, variables) if name == "identity" else (entities, representations)
        for sign, why in ((None, "no gateway signature"), ("another deployment's secret", "does not match")):
            refused = _direct(url, query, given, headers, sign)
            assert refused.status_code == 403, (name, refused.text)
            (error,) = refused.json()["errors"]
            assert error["extensions"]["code"] == "GATEWAY_SIGNATURE_REQUIRED" and why in error["message"], error
            assert "data" not in refused.json()
        signed = _direct(url, query, given, headers, GATEWAY_SECRET)  # as the gateway sends it
        assert signed.status_code == 200 and "errors" not in signed.json(), (name, signed.text)


def test_a_token_signed_with_a_subgraphs_configuration_is_refused_by_every_other_part(shapes: Shapes) -> None:
    """Whatever the traffic subgraph holds (its settings, secrets, database password, identity's
    public keys) mints no token any other part accepts, while identity's genuine token works."""
    held = dict(shapes.environments["traffic"])
    jwks = httpx.get(held["RABT_TOKEN_JWKS_URL"], timeout=10)
    assert jwks.status_code == 200 and all("d" not in key for key in jwks.json()["keys"])  # public keys only
    (kid,) = (key["kid"] for key in jwks.json()["keys"])
    assert kid == KEY.kid
    held["identity's JWKS"] = jwks.text
    held["identity's public key"] = jwks.json()["keys"][0]["x"]
    held["the database password"] = make_url(held["RABT_DATABASE_URL"]).password or ""
    claims = officer_claims("passports")
    genuine = shapes.signer.issue(Principal(Role.OFFICER, person_id="1000000008", sector="passports"))
    forged = forgeries(claims, kid, held)
    assert len(forged) >= 8
    query, variables = IDENTITY_QUERY, {"id": PERSONA["absconding_worker"]}
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { id } } }"
    parts: dict[str, tuple[str, str, dict[str, Any]]] = {
        "hub": (shapes.hub_url, query, variables),
        "gateway": (shapes.gateway_url, query, variables),
        **{
            name: (
                url,
                query if name == "identity" else entities,
                variables
                if name == "identity"
                else {"r": [{"__typename": "Person", "id": PERSONA["absconding_worker"]}]},
            )
            for name, url in shapes.subgraphs.items()
            if name != "traffic"
        },
    }
    for part, (url, document, given) in parts.items():
        sign = GATEWAY_SECRET if url in shapes.subgraphs.values() else None
        headers = {"authorization": f"Bearer {genuine}", "x-purpose": "federation test"}
        accepted = _direct(url, document, given, headers, sign)
        assert accepted.status_code == 200 and "errors" not in accepted.json(), (part, accepted.text)
        for what, token in forged.items():
            headers["authorization"] = f"Bearer {token}"
            refused = _direct(url, document, given, headers, sign)
            answer = refused.json()
            assert refused.status_code == 401 or part == "gateway", (part, what, refused.text)
            codes = {(error.get("extensions") or {}).get("code") for error in answer.get("errors", [])}
            assert codes == {"UNAUTHENTICATED"}, (part, what, answer)


REGISTER = """mutation($input: RegisterInput!) {
  register(input: $input) { __typename ... on Refusal { code } }
}"""


def _register_from(gateway_url: str, address: str, person_id: str, headers: dict[str, str] | None = None) -> str:
    """Starts a registration from a client at `address` (a loopback address of its own): the
    refusal's code, or RATE_LIMITED."""
    payload = {"id": person_id, "mobile": "+966500000000", "username": "clientaddress1", "password": "x"}
    payload["acceptTerms"] = False  # refused after the limits are counted, before any other work
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30) as client:
        body = {"query": REGISTER, "variables": {"input": payload}}
        answer = client.post(gateway_url, json=body, headers=headers or {}).json()
    if "errors" in answer:
        (error,) = answer["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED", answer
        return "RATE_LIMITED"
    return str(answer["data"]["register"]["code"])


def test_behind_the_gateway_each_client_is_limited_by_its_own_address(shapes: Shapes) -> None:
    """The gateway tells identity who the client is: one client's exhausted limit leaves another's
    alone (5 registrations an hour per ID and client), and a client cannot choose its address."""
    person_id = PERSONA["sponsor"]
    first = [_register_from(shapes.gateway_url, "127.0.0.2", person_id) for _ in range(6)]
    assert first == ["TERMS_NOT_ACCEPTED"] * 5 + ["RATE_LIMITED"]
    assert _register_from(shapes.gateway_url, "127.0.0.3", person_id) == "TERMS_NOT_ACCEPTED"
    claimed = [
        _register_from(
            shapes.gateway_url,
            "127.0.0.4",
            person_id,
            {"x-forwarded-for": f"198.51.100.{n}", "x-rabt-client-address": f"198.51.100.{n}"},
        )
        for n in range(6)
    ]
    assert claimed == ["TERMS_NOT_ACCEPTED"] * 5 + ["RATE_LIMITED"]


def test_a_subgraph_refuses_a_signed_request_without_the_signed_client_address(shapes: Shapes) -> None:
    query, variables = IDENTITY_QUERY, {"id": PERSONA["sponsor"]}
    body = {
        "query": query,
        "variables": variables,
        "extensions": {EXTENSION: GatewaySignature(GATEWAY_SECRET).sign(query, variables)},
    }
    vouched = GatewaySignature(GATEWAY_SECRET).sign_client("127.0.0.9")
    for headers in ({}, {**vouched, "x-rabt-client-address": "127.0.0.10"}):
        refused = httpx.post(shapes.subgraphs["identity"], json=body, headers=headers, timeout=30)
        assert refused.status_code == 403, refused.text
        assert refused.json()["errors"][0]["extensions"]["code"] == "GATEWAY_SIGNATURE_REQUIRED"
    assert httpx.post(shapes.subgraphs["identity"], json=body, headers=vouched, timeout=30).status_code == 200


def test_a_callers_traceparent_reaches_every_subgraph_the_query_needs(shapes: Shapes) -> None:
    trace_id = uuid.uuid4().hex
    resident = Principal(Role.INDIVIDUAL, person_id=PERSONA["absconding_worker"])
    headers = {
        "authorization": f"Bearer {shapes.signer.issue(resident)}",
        "traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01",
    }
    body = {"query": HEADLINE, "variables": {"id": PERSONA["absconding_worker"]}, "operationName": "PersonStatus"}
    response = httpx.post(shapes.gateway_url, json=body, headers=headers, timeout=30)
    assert response.status_code == 200 and "errors" not in response.json()
    reached = set()
    for name in shapes.subgraphs:
        for line in (shapes.logs / f"{name}.log").read_text().splitlines():
            if line.startswith("{") and trace_id in line:
                logged = json.loads(line)
                assert logged["logger"] == "rabt.access" and logged["trace_id"] == trace_id
                reached.add(name)
    assert reached == {"identity", "passports", "traffic", "civil_defence"}  # the headline's sectors


def _logged(shapes: Shapes, text: str) -> dict[str, list[dict[str, object]]]:
    """Each subgraph's JSON log lines that hold `text`."""
    found: dict[str, list[dict[str, object]]] = {}
    for name in shapes.subgraphs:
        for line in (shapes.logs / f"{name}.log").read_text().splitlines():
            if line.startswith("{") and text in line:
                found.setdefault(name, []).append(json.loads(line))
    return found


def test_without_a_callers_trace_one_request_id_names_the_request_in_every_subgraph(shapes: Shapes) -> None:
    resident = Principal(Role.INDIVIDUAL, person_id=PERSONA["absconding_worker"])
    body = {"query": HEADLINE, "variables": {"id": PERSONA["absconding_worker"]}, "operationName": "PersonStatus"}
    response = httpx.post(
        shapes.gateway_url, json=body, headers={"authorization": f"Bearer {shapes.signer.issue(resident)}"}, timeout=30
    )
    assert response.status_code == 200 and "errors" not in response.json()
    request_id = response.headers["x-request-id"]  # the gateway's own, as the caller sent none
    lines = _logged(shapes, request_id)
    assert set(lines) == {"identity", "passports", "traffic", "civil_defence"}, lines
    assert {line["trace_id"] for logged in lines.values() for line in logged} == {None}, lines


def test_the_gateway_passes_a_callers_trace_on_checked() -> None:
    """Without an exporter the gateway sends each subgraph call the caller's valid trace, sampled,
    with its `tracestate` cleaned; an invalid or absent `traceparent` sends nothing."""
    if not node_available():
        pytest.skip("Node.js federation peers missing (./dev test installs them)")
    trace, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    cases = [
        {"traceparent": f"00-{trace}-{parent}-00", "tracestate": "rabt=ok,forged words,other=2"},
        {"traceparent": f"00-{trace}-{parent}-01"},
        {"traceparent": f"00-{'0' * 32}-{parent}-01", "tracestate": "rabt=ok"},
        {"traceparent": f"00-{trace}-{'0' * 16}-01"},
        {"traceparent": f"01-{trace}-{parent}-01"},
        {"traceparent": f"00-{trace.upper()}-{parent}-01"},
        {"tracestate": "rabt=ok"},
    ]
    script = """
const { traceHeaders } = await import(process.argv[1]);
const cases = JSON.parse(process.argv[2]);
console.log(JSON.stringify(cases.map((headers) => traceHeaders(new Request('http://gateway/', { headers })))));
"""
    config = (FEDERATION_DIR / "gateway.config.mjs").as_uri()
    env = {"PATH": os.environ["PATH"], "RABT_GATEWAY_HMAC_SECRET": "a secret"}
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, config, json.dumps(cases)],
        cwd=FEDERATION_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    sampled = f"00-{trace}-{parent}-01"
    assert json.loads(done.stdout) == [
        {"traceparent": sampled, "tracestate": "rabt=ok,other=2"},
        {"traceparent": sampled},
        {},
        {},
        {},
        {},
        {},
    ]


def test_a_callers_tracestate_reaches_the_subgraphs_cleaned(shapes: Shapes) -> None:
    resident = Principal(Role.INDIVIDUAL, person_id=PERSONA["absconding_worker"])
    trace_id, forged = uuid.uuid4().hex, f"forged{uuid.uuid4().hex}"
    headers = {
        "authorization": f"Bearer {shapes.signer.issue(resident)}",
        "traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01",
        "tracestate": f"rabt=ok,{forged} request_id=0",
    }
    body = {"query": HEADLINE, "variables": {"id": PERSONA["absconding_worker"]}, "operationName": "PersonStatus"}
    response = httpx.post(shapes.gateway_url, json=body, headers=headers, timeout=30)
    assert response.status_code == 200 and "errors" not in response.json()
    assert set(_logged(shapes, trace_id)) == {"identity", "passports", "traffic", "civil_defence"}
    for name in shapes.subgraphs:
        assert forged not in (shapes.logs / f"{name}.log").read_text(), name


def test_the_gateway_serves_its_metrics_to_loopback_peers_only(shapes: Shapes) -> None:
    metrics_url = shapes.gateway_url.replace("/graphql", "/metrics")
    httpx.post(shapes.gateway_url, json={"query": "{ __typename }"}, timeout=30)
    exposed = httpx.get(metrics_url, timeout=10)
    assert exposed.status_code == 200
    assert "graphql_envelop_request" in exposed.text
    assert "graphql_yoga_http_duration" not in exposed.text  # its url label would carry GET variables
    assert httpx.get(metrics_url, headers={"x-forwarded-for": "203.0.113.9"}, timeout=10).status_code == 404


# ---- rules asked across sectors ----------------------------------------------------------------------

PASSPORTS_OFFICER = Principal(Role.OFFICER, person_id="1000000008", sector="passports")
BLOCKERS = "... on Refusal { code message messageAr blockers { sector code message messageAr resolveBy resolveByAr } }"
RENEW_IQAMA = (
    "mutation($input: RenewIqamaInput!) { renewIqama(input: $input) { __typename "
    f"... on IqamaRenewed {{ iqama {{ number status expiresOn {{ gregorian }} }} }} {BLOCKERS} }} }}"
)
FINAL_EXIT = (
    "mutation($input: IssueFinalExitVisaInput!) { issueFinalExitVisa(input: $input) { __typename "
    f"... on FinalExitVisaIssued {{ visa {{ kind status allowedDays }} }} {BLOCKERS} }} }}"
)
RENEW_ID_CARD = (
    "mutation($input: RenewIdCardInput!) { renewIdCard(input: $input) { __typename "
    f"... on IdCardRenewed {{ card {{ status }} }} {BLOCKERS} }} }}"
)


def _days(count: int) -> dt.date:
    return riyadh_today() + dt.timedelta(days=count)


def _eligible_resident(shapes: Shapes) -> str:
    """A seeded resident (not a persona, sponsoring nobody) made eligible for every passports service:
    valid iqama and passport, insured, no visa, report or violation."""
    found = asyncio.run(
        _on_database(
            shapes,
            "SELECT string_agg(person_id, ',' ORDER BY person_id) FROM passports_iqamas i WHERE sponsor_id LIKE '1%' "
            "AND NOT EXISTS (SELECT 1 FROM passports_iqamas d WHERE d.sponsor_id = i.person_id)",
        )
    )
    resident = next(person for person in found.split(",") if person not in PERSONA.values())
    for statement, *arguments in (
        ("UPDATE passports_iqamas SET status = 'valid', expires_on = $2 WHERE person_id = $1", _days(400)),
        ("UPDATE passports_passports SET status = 'valid', expires_on = $2 WHERE person_id = $1", _days(900)),
        (
            "UPDATE passports_medical_insurance SET valid_from = $2, valid_until = $3 WHERE person_id = $1",
            _days(-10),
            _days(400),
        ),
        ("DELETE FROM passports_visas WHERE person_id = $1",),
        ("DELETE FROM passports_absconding_reports WHERE person_id = $1",),
        ("DELETE FROM traffic_violations WHERE person_id = $1",),
    ):
        asyncio.run(_on_database(shapes, statement, resident, *arguments))
    return resident


def _unpaid_violation(shapes: Shapes, person_id: str, number: str) -> None:
    insert = (
        "INSERT INTO traffic_violations (number, person_id, kind, city_ar, city_en, committed_on, fine_sar, due_on, "
        "status) VALUES ($1, $2, 'speeding', 'الرياض', 'Riyadh', $3, 300, $4, 'unpaid')"
    )
    asyncio.run(_on_database(shapes, insert, number, person_id, _days(-2), _days(28)))


def _both(shapes: Shapes, query: str, person_id: str, as_: Principal) -> tuple[dict[str, Any], dict[str, Any]]:
    variables = {"input": {"personId": person_id}}
    return shapes.ask(shapes.gateway_url, query, variables, as_), shapes.ask(shapes.hub_url, query, variables, as_)


def _blockers(answer: dict[str, Any], field: str) -> list[tuple[str, str]]:
    assert "errors" not in answer, answer
    return [(blocker["sector"], blocker["code"]) for blocker in answer["data"][field]["blockers"]]


def test_through_the_gateway_traffics_rule_refuses_passports_services_as_the_hub_does(shapes: Shapes) -> None:
    """Passports' subgraph reads none of traffic's tables: it asks traffic's subgraph."""
    resident = _eligible_resident(shapes)
    _unpaid_violation(shapes, resident, "9870000001")
    through_gateway, through_hub = _both(shapes, RENEW_IQAMA, resident, PASSPORTS_OFFICER)
    assert _blockers(through_hub, "renewIqama") == [("traffic", "UNPAID_VIOLATIONS")]
    assert through_gateway == through_hub
    through_gateway, through_hub = _both(shapes, FINAL_EXIT, resident, PASSPORTS_OFFICER)
    assert _blockers(through_hub, "issueFinalExitVisa") == [("traffic", "UNPAID_VIOLATIONS")]
    assert through_gateway == through_hub


ACCESS_LOG = "{ me { accessLog(first: 100) { entries { actor role actingAs sector fields operation } } } }"


def test_through_the_gateway_traffic_answering_passports_shows_in_the_persons_access_log(shapes: Shapes) -> None:
    """Traffic audits its answer to passports' /checks: the resident sees that passports asked."""
    resident = _eligible_resident(shapes)
    _unpaid_violation(shapes, resident, "9870000009")
    refused = shapes.ask(shapes.gateway_url, RENEW_IQAMA, {"input": {"personId": resident}}, PASSPORTS_OFFICER)
    assert _blockers(refused, "renewIqama") == [("traffic", "UNPAID_VIOLATIONS")]
    log = shapes.ask(shapes.gateway_url, ACCESS_LOG, {}, Principal(Role.INDIVIDUAL, person_id=resident))
    assert "errors" not in log, log
    asked = {
        "actor": "service:part:passports",
        "role": "service",
        "actingAs": "service",
        "sector": "traffic",
        "fields": ["traffic.unpaid_violations"],
        "operation": "/checks",
    }
    assert asked in log["data"]["me"]["accessLog"]["entries"]


def test_through_the_gateway_a_resident_without_blockers_is_served_as_by_the_hub(shapes: Shapes) -> None:
    resident = _eligible_resident(shapes)
    renewed = shapes.ask(shapes.gateway_url, RENEW_IQAMA, {"input": {"personId": resident}}, PASSPORTS_OFFICER)
    assert renewed["data"]["renewIqama"]["__typename"] == "IqamaRenewed", renewed
    # Put back as it was before the gateway's renewal, then the hub's: the same answer.
    back = "UPDATE passports_iqamas SET status = 'valid', expires_on = $2 WHERE person_id = $1"
    asyncio.run(_on_database(shapes, back, resident, _days(400)))
    assert shapes.ask(shapes.hub_url, RENEW_IQAMA, {"input": {"personId": resident}}, PASSPORTS_OFFICER) == renewed


def test_through_the_gateway_traffics_rule_refuses_civil_affairs_services_as_the_hub_does(shapes: Shapes) -> None:
    """The other sector that asks traffic: a national ID card is not renewed over unpaid fines."""
    citizen = PERSONA["unpaid_violations"]
    civil_affairs = Principal(Role.OFFICER, person_id="1000000008", sector="civil_affairs")
    through_gateway, through_hub = _both(shapes, RENEW_ID_CARD, citizen, civil_affairs)
    assert ("traffic", "UNPAID_VIOLATIONS") in _blockers(through_hub, "renewIdCard")
    assert through_gateway == through_hub


def test_through_the_gateway_a_dependants_fines_refuse_the_sponsors_final_exit_as_the_hub_does(
    shapes: Shapes,
) -> None:
    """Traffic's second rule, asked about each person the resident sponsors."""
    sponsor = _eligible_resident(shapes)
    dependant = asyncio.run(
        _on_database(
            shapes,
            "SELECT person_id FROM passports_iqamas WHERE sponsor_id LIKE '2%' AND status <> 'cancelled' "
            "AND person_id <> ALL($1::text[]) ORDER BY person_id LIMIT 1",
            list(PERSONA.values()),
        )
    )
    before = asyncio.run(
        _on_database(shapes, "SELECT sponsor_id FROM passports_iqamas WHERE person_id = $1", dependant)
    )
    move = "UPDATE passports_iqamas SET sponsor_id = $2 WHERE person_id = $1"
    asyncio.run(_on_database(shapes, move, dependant, sponsor))
    try:
        asyncio.run(_on_database(shapes, "DELETE FROM traffic_violations WHERE person_id = $1", dependant))
        _unpaid_violation(shapes, dependant, "9870000002")
        through_gateway, through_hub = _both(shapes, FINAL_EXIT, sponsor, PASSPORTS_OFFICER)
    finally:
        asyncio.run(_on_database(shapes, move, dependant, before))
    assert _blockers(through_hub, "issueFinalExitVisa") == [("traffic", "DEPENDANT_UNPAID_VIOLATIONS")]
    assert through_gateway == through_hub


ELIGIBILITY = """query($id: ID!, $service: ServiceName!, $item: String) {
  eligibility(personId: $id, service: $service, item: $item) {
    allowed blockers { sector code message messageAr resolveBy resolveByAr }
  }
}"""


def test_through_the_gateway_eligibility_answers_as_the_hub_does(shapes: Shapes) -> None:
    """Identity serves `eligibility`: it decides who may ask and asks the service's own subgraph,
    which asks traffic's in turn; every answer is the hub's."""
    resident, citizen = _eligible_resident(shapes), PERSONA["unpaid_violations"]
    sponsor = asyncio.run(
        _on_database(shapes, "SELECT sponsor_id FROM passports_iqamas WHERE person_id = $1", resident)
    )
    vehicle = asyncio.run(
        _on_database(
            shapes,
            "SELECT sequence_number FROM traffic_vehicles WHERE owner_id = $1 ORDER BY sequence_number LIMIT 1",
            citizen,
        )
    )
    asked: list[tuple[str, str, str | None, Principal]] = [
        (resident, "RENEW_IQAMA", None, PASSPORTS_OFFICER),
        (resident, "ISSUE_EXIT_REENTRY_VISA", None, Principal(Role.INDIVIDUAL, person_id=sponsor)),
        (resident, "RENEW_IQAMA", None, Principal(Role.OFFICER, person_id="1000000008", sector="traffic")),
        (citizen, "RENEW_ID_CARD", None, Principal(Role.INDIVIDUAL, person_id=citizen)),
        (citizen, "RENEW_DRIVING_LICENCE", None, Principal(Role.INDIVIDUAL, person_id=citizen)),
        (citizen, "RENEW_VEHICLE_REGISTRATION", vehicle, Principal(Role.INDIVIDUAL, person_id=citizen)),
        (citizen, "RENEW_VEHICLE_REGISTRATION", None, Principal(Role.INDIVIDUAL, person_id=citizen)),
    ]

    def answers() -> list[tuple[dict[str, Any], dict[str, Any]]]:
        found = []
        for person, service, item, caller in asked:
            variables = {"id": person, "service": service, "item": item}
            through_hub = shapes.ask(shapes.hub_url, ELIGIBILITY, variables, caller)
            through_gateway = shapes.ask(shapes.gateway_url, ELIGIBILITY, variables, caller)
            found.append((comparable(through_gateway), comparable(through_hub)))
        return found

    allowed = answers()
    assert allowed[0][1]["data"] == {"eligibility": {"allowed": True, "blockers": []}}
    codes = [[code for _, code, _ in hub["errors"]] for _, hub in allowed]
    assert codes == [[], [], ["FORBIDDEN"], [], [], [], ["BAD_USER_INPUT"]]
    for through_gateway, through_hub in allowed:
        assert through_gateway == through_hub
    _unpaid_violation(shapes, resident, "9870000003")
    blocked = answers()
    assert blocked[0][1]["data"]["eligibility"]["blockers"][0]["code"] == "UNPAID_VIOLATIONS"
    for through_gateway, through_hub in blocked:
        assert through_gateway == through_hub
