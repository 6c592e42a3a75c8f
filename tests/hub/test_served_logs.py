"""A served hub, as operators run it (PostgreSQL, production mode, two uvicorn workers), under a
small load of every kind of request: its logs are JSON lines with one access line per request and
not one personal value, and /metrics adds up both workers' counts."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.access.keys import SigningKey
from hub.access.tokens import TokenIssuer
from hub.contract.population import PERSONAS
from hub.contract.principal import Principal, Role
from tests.conftest import _create_postgres_database, _drop_postgres_database, connected, service_unavailable
from tests.federation.processes import free_port, hub_command, running

pytestmark = pytest.mark.postgres
HEADLINE = (Path(__file__).resolve().parents[2] / "hub/api/operations/PersonStatus.graphql").read_text()
VISA = (Path(__file__).resolve().parents[2] / "hub/api/operations/IssueExitReentryVisa.graphql").read_text()
KEY = SigningKey.generate()


@dataclass
class Served:
    url: str
    log: Path
    database_url: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    try:
        database_url = asyncio.run(_create_postgres_database())
    except OSError as error:
        service_unavailable("PostgreSQL", error)
    folder = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RABT_", "PROMETHEUS_"))}
    env |= {
        "RABT_DATABASE_URL": database_url,
        "RABT_DATA_DIR": str(folder),
        "RABT_SEED_PEOPLE": "300",
        "RABT_TOKEN_PRIVATE_KEY": KEY.to_pem(),
        "RABT_OTP_PEPPER": "p" * 64,
        "RABT_STATISTICS_KEY": "s" * 64,
        "RABT_GATEWAY_HMAC_SECRET": "g" * 64,
    }
    try:
        subprocess.run(hub_command("seed"), env=env, check=True, capture_output=True)
        port = free_port()
        log = folder / "hub.log"
        command = hub_command("serve", "--port", str(port), "--workers", "2")
        with running(command, env, f"http://127.0.0.1:{port}/healthz", log):
            yield Served(f"http://127.0.0.1:{port}", log, database_url)
    finally:
        asyncio.run(_drop_postgres_database(database_url))


def _personal_values(database_url: str) -> set[str]:
    """The demo people's IDs, names (English and Arabic) and mobiles, as the registry holds them."""

    async def read() -> set[str]:
        async with connected(database_url) as connection:
            rows = await connection.fetch(
                "SELECT id, name_en, name_ar, mobile FROM identity_people WHERE id = ANY($1)", [p.id for p in PERSONAS]
            )
        return {str(value) for row in rows for value in row if value}

    return asyncio.run(read())


def _load(url: str) -> int:
    """Every kind of request, for every demo person; returns how many were sent to /graphql."""
    signer = TokenIssuer(KEY)
    sent = 0

    def post(body: dict[str, Any], principal: Principal | None = None, **headers: str) -> httpx.Response:
        nonlocal sent
        sent += 1
        if principal is not None:
            headers["authorization"] = f"Bearer {signer.issue(principal)}"
            headers["x-purpose"] = "load test"
        return httpx.post(f"{url}/graphql", json=body, headers=headers, timeout=30)

    officer = Principal(Role.OFFICER, person_id="1000000008", sector="passports")
    for persona in PERSONAS:
        me = Principal(Role.INDIVIDUAL, person_id=persona.id)
        headline = {"query": HEADLINE, "variables": {"id": persona.id}, "operationName": "PersonStatus"}
        assert post(headline, me, **{"x-request-id": f"load-{persona.key}"}).status_code == 200
        post(headline)  # anonymous: refused
        post(
            {
                "query": "query($ids: [ID!]!) { people(ids: $ids) { id nameEn mobile } }",
                "variables": {"ids": [persona.id]},
            },
            officer,
        )
        post({"query": f'{{ person(id: "{persona.id[:-1]}") {{ id }} }}'}, me)  # INVALID_ID
        post({"query": f'{{ person(id: "{persona.id}") {{ nameAr'}, me)  # a syntax error
        post(headline, None, authorization="Bearer not-a-token")
        visa = {"input": {"personId": persona.id, "kind": "SINGLE", "days": 30}}
        post({"query": VISA, "variables": visa, "operationName": "IssueExitReentryVisa"}, officer)
        register = {"idNumber": persona.id, "mobile": "+966500000000", "username": "u" + persona.id, "password": "x"}
        post(
            {
                "query": "mutation($i: RegisterInput!) { register(input: $i) { __typename } }",
                "variables": {"i": register},
            }
        )
    return sent


def test_a_loads_logs_hold_no_personal_value_and_one_access_line_per_request(served: Served) -> None:
    sent = _load(served.url)
    metrics = httpx.get(f"{served.url}/metrics", timeout=10).text
    text = served.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "rabt.access" and line["route"] == "/graphql"]
    assert len(access) == sent
    assert all(line["time"].endswith("Z") and line["duration_ms"] > 0 and line["request_id"] for line in access)
    assert {line["request_id"] for line in access} >= {f"load-{persona.key}" for persona in PERSONAS}
    assert {line["caller"] for line in access} >= {"individual", "officer", "anonymous"}
    leaked = sorted(value for value in _personal_values(served.database_url) if value in text)
    assert leaked == [], f"personal values in the served hub's output: {leaked}"
    # Two workers answered; whichever served /metrics counted both.
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("rabt_requests_total{") and 'route="/graphql"' in line
    )
    assert counted == sent
