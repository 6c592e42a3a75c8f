"""The federated shape answers exactly as the all-in-one hub does.

Real processes on loopback: the identity subgraph and every sector subgraph (uvicorn), composed by
@apollo/composition and served by Hive Gateway, next to the all-in-one hub, all over one seeded
PostgreSQL database. The same queries, with the same callers, must give the same JSON.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.access.tokens import TokenSigner
from hub.api.federation import FEDERATION_DIR, Subgraph, compose, gateway_command, node_available, subgraph_sdl
from hub.contract.principal import Principal, Role
from hub.registry import installed_sectors
from tests.conftest import (
    IN_CI,
    PERSONA,
    _create_postgres_database,
    _drop_postgres_database,
    service_unavailable,
)
from tests.federation.processes import free_port, hub_command, running

pytestmark = pytest.mark.node
PEOPLE = 800
SECRET = "federation-test-secret-" + "x" * 40


@dataclass
class Shapes:
    hub_url: str
    gateway_url: str
    signer: TokenSigner
    supergraph: str

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
    env = {
        **os.environ,
        "RABT_DATABASE_URL": database_url,
        "RABT_TOKEN_SECRET": SECRET,
        "RABT_OTP_PEPPER": SECRET,
        "RABT_DATA_DIR": str(logs),
        "RABT_SEED_PEOPLE": "0",
    }
    try:
        subprocess.run(hub_command("seed", "--people", str(PEOPLE)), env=env, check=True, capture_output=True)
        sectors = installed_sectors()
        graphs = [Subgraph("identity", free_port())] + [Subgraph(s.name, free_port()) for s in sectors]
        supergraph_path = logs / "supergraph.graphql"
        supergraph = compose([(graph, subgraph_sdl(sectors, graph.name)) for graph in graphs])
        supergraph_path.write_text(supergraph)
        hub_port, gateway_port = free_port(), free_port()
        gateway_env = {k: v for k, v in env.items() if k not in ("HOST", "PORT", "CONFIG_PATH", "POLLING")}
        gateway_env.update(RABT_SUPERGRAPH=str(supergraph_path), RABT_GATEWAY_PORT=str(gateway_port))
        with contextlib_exit_stack() as stack:
            for graph in graphs:
                stack.enter_context(
                    running(
                        hub_command("subgraph", graph.name, "--port", str(graph.port), "--log-level", "warning"),
                        env,
                        f"http://127.0.0.1:{graph.port}/healthz",
                        logs / f"{graph.name}.log",
                    )
                )
            stack.enter_context(
                running(
                    hub_command("serve", "--port", str(hub_port), "--log-level", "warning"),
                    env,
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
                signer=TokenSigner(SECRET),
                supergraph=supergraph,
            )
    finally:
        asyncio.run(_drop_postgres_database(database_url))


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
    assert through_hub.get("data") is not None or through_hub.get("errors"), title
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


def test_the_supergraph_names_every_subgraph(shapes: Shapes) -> None:
    for name in ("IDENTITY", "PASSPORTS", "TRAFFIC", "CIVIL_AFFAIRS", "CIVIL_DEFENCE"):
        assert f"{name} @join__graph" in shapes.supergraph


def test_node_is_on_path_for_the_gateway() -> None:
    _require_node()
    assert shutil.which("node")
