"""A sector from outside the repository joins every shape through the `rabt.sectors` entry point.

tests/federation/outside_sector/ is a separate distribution (`rabt-hajj`, package `rabt_hajj`)
that imports only `hub.contract` and registers itself only in its pyproject.toml. It is built into
a wheel, installed with pip into a temporary folder, and used by subprocesses that have that folder
on PYTHONPATH: the hub's schema, a subgraph, composition and a real query all see `Person.hajj`,
without a line changed in hub/, and this test process never imports it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from hub.access.keys import SigningKey, jwks
from hub.access.tokens import TokenIssuer
from hub.contract.population import PERSONAS
from hub.contract.principal import Principal, Role
from hub.registry import installed_sectors
from hub.web.gateway_signature import EXTENSION, GatewaySignature
from tests.federation.processes import ROOT, free_port, hub_command, running

SOURCE = Path(__file__).resolve().parent / "outside_sector"
FAMILY_HEAD = next(persona.id for persona in PERSONAS if persona.key == "family_head")
PEOPLE = "400"


def build_wheel(source: Path, out: Path) -> Path:
    """A pure-Python wheel of `source`, from its pyproject.toml, with the standard library only.

    pip would build it with the project's backend (setuptools), but the venv's setuptools 65 cannot
    build a wheel without the separate `wheel` package, and this must work offline. The wheel
    format is a zip with a .dist-info folder; pip installs it like any other.
    """
    project = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    meta = project["project"]
    name, version = meta["name"].replace("-", "_"), meta["version"]
    info = f"{name}-{version}.dist-info"
    files: dict[str, bytes] = {}
    for package in project["tool"]["setuptools"]["packages"]:
        for path in sorted((source / package).rglob("*.py")):
            files[path.relative_to(source).as_posix()] = path.read_bytes()
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {version}\nSummary: {meta['description']}\n"
        f"Requires-Python: {meta['requires-python']}\n"
        + "".join(f"Requires-Dist: {dependency}\n" for dependency in meta.get("dependencies", []))
    ).encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: rabt-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = "".join(
        f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in entries.items()) + "\n"
        for group, entries in meta["entry-points"].items()
    ).encode()
    record = [
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for path, data in files.items()
    ]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    wheel = out / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the installed `rabt-hajj` (package and dist-info with its entry point)."""
    wheel = build_wheel(SOURCE, tmp_path_factory.mktemp("wheel"))
    target = tmp_path_factory.mktemp("site-packages")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--no-compile",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "rabt_hajj" / "__init__.py").is_file()
    return target


IDENTITY_KEY = SigningKey.generate()


def signed(query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
    """A request body as the gateway sends it: signed with the deployment's secret (conftest's)."""
    signature = GatewaySignature(os.environ["RABT_GATEWAY_HMAC_SECRET"]).sign(query, variables)
    return {"query": query, "variables": variables, "extensions": {EXTENSION: signature}}


def from_gateway(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Request headers as the gateway sends them: the client's address, signed."""
    return {**(headers or {}), **GatewaySignature(os.environ["RABT_GATEWAY_HMAC_SECRET"]).sign_client("127.0.0.1")}


def environment(site: Path | None, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "RABT_SECTORS")}
    if site is not None:
        env["PYTHONPATH"] = str(site)
    return {**env, **extra}


def python(site: Path | None, code: str, *arguments: str, **extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *arguments],
        cwd=ROOT,
        env=environment(site, **extra),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def python_json(site: Path, code: str, *arguments: str, **extra: str) -> Any:
    """What the script printed as JSON on its last line of output."""
    out = python(site, code, *arguments, **extra)
    lines = out.strip().splitlines()
    assert lines, "the script printed nothing"
    return json.loads(lines[-1])


def answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_only_the_subprocesses_see_the_outside_sector(site: Path) -> None:
    assert "hajj" not in [sector.name for sector in installed_sectors()]
    done = subprocess.run(
        hub_command("subgraph", "hajj"),
        cwd=ROOT,
        env=environment(None),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "unknown subgraph 'hajj'" in done.stderr
    names = python(site, "from hub.registry import installed_sectors; print([s.name for s in installed_sectors()])")
    assert names.strip() == str([*(sector.name for sector in installed_sectors()), "hajj"])


def test_the_hubs_schema_gives_person_a_hajj_field(site: Path) -> None:
    sdl = python(
        site,
        "from hub.registry import installed_sectors\nfrom hub.api.schema import schema_for\n"
        "print(schema_for(installed_sectors(), None).as_str())",
    )
    person = sdl[sdl.index('type Person @key(fields: "id")') :]
    person = person[: person.index("\n}\n")]
    assert "hajj: HajjOfPerson" in person and "traffic: TrafficOfPerson" in person
    assert "type HajjPermit {" in sdl and "issuedOn: CalendarDate!" in sdl and "season: Int!" in sdl


def test_hajj_is_a_subgraph_with_the_person_entity(site: Path) -> None:
    found = python_json(
        site,
        "import json\nfrom hub.registry import installed_sectors\n"
        "from hub.api.federation import subgraph_sdl, subgraphs\n"
        "sectors = installed_sectors()\n"
        "ports = {g.name: g.port for g in subgraphs(sectors)}\n"
        "print(json.dumps({'ports': ports, 'sdl': subgraph_sdl(sectors, 'hajj')}))",
    )
    assert found["ports"]["hajj"] == 4006
    sdl = found["sdl"]
    assert 'type Person @key(fields: "id")' in sdl
    person = sdl[sdl.index('type Person @key(fields: "id")') :]
    assert "hajj: HajjOfPerson" in person[: person.index("\n}\n")]
    assert "PassportsOfPerson" not in sdl and "nameEn" not in sdl  # one sector per subgraph; identity answers the rest


def test_the_hajj_sector_ships_its_own_migrations(site: Path, tmp_path: Path) -> None:
    (first,) = [path.name.split("_")[0] for path in (SOURCE / "rabt_hajj" / "migrations" / "versions").glob("*.py")]
    env = environment(
        site, RABT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'rabt.db'}", RABT_DATA_DIR=str(tmp_path)
    )

    def hub(*arguments: str) -> str:
        done = subprocess.run(
            hub_command(*arguments), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    assert f"migrate: hajj: nothing -> {first}" in hub("migrate", "upgrade", "--component", "hajj").splitlines()
    assert hub("migrate", "current", "--component", "hajj") == f"hajj: {first} (head)\n"


@dataclass(frozen=True)
class SubgraphAnswers:
    sectors: list[str]
    """What its /healthz lists."""
    sdl: str
    entities: dict[str, Any]


def ask_subgraph(site: Path, folder: Path, sector: str, selection: str, **extra: str) -> SubgraphAnswers:
    """Serves `sector`'s subgraph with `site` on the path (seeded on SQLite in `folder`), and asks it
    for its SDL and, as an officer of the sector, for `selection` of the family head's Person entity."""
    port = free_port()
    env = environment(
        site,
        **extra,
        RABT_DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'rabt.db'}",
        RABT_DATA_DIR=str(folder),
        RABT_SEED_PEOPLE=PEOPLE,
        RABT_TOKEN_PUBLIC_KEYS=orjson.dumps(jwks([IDENTITY_KEY.public])).decode(),
    )
    command = hub_command("subgraph", sector, "--port", str(port), "--log-level", "warning")
    with running(command, env, f"http://127.0.0.1:{port}/healthz", folder / f"{sector}.log"):
        url = f"http://127.0.0.1:{port}/graphql"
        sectors = answer(httpx.get(f"http://127.0.0.1:{port}/healthz"))["sectors"]
        served = answer(httpx.post(url, headers=from_gateway(), json=signed("{ _service { sdl } }", None)))["data"][
            "_service"
        ]["sdl"]
        token = TokenIssuer(IDENTITY_KEY).issue(Principal(Role.OFFICER, person_id="1000000008", sector=sector))
        entities = answer(
            httpx.post(
                url,
                headers=from_gateway({"authorization": f"Bearer {token}", "x-purpose": "outside sector test"}),
                json=signed(
                    f"query($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on Person {selection} }} }}",
                    {"r": [{"__typename": "Person", "id": FAMILY_HEAD}]},
                ),
            )
        )
    return SubgraphAnswers(sectors, served, entities)


def test_the_hajj_subgraph_runs_and_answers_for_a_person(site: Path, tmp_path: Path) -> None:
    asked = ask_subgraph(site, tmp_path, "hajj", "{ hajj { permits { status } } }")
    assert "hajj" in asked.sectors
    assert 'type Person @key(fields: "id")' in asked.sdl and "hajj: HajjOfPerson" in asked.sdl
    permits = [{"status": "ISSUED"}, {"status": "USED"}]
    assert asked.entities == {"data": {"_entities": [{"hajj": {"permits": permits}}]}}


# Prints the supergraph composed from every installed sector's subgraph.
COMPOSE_SCRIPT = """
from hub.registry import installed_sectors
from hub.api.federation import compose, subgraph_sdl, subgraphs
sectors = installed_sectors()
print(compose([(g, subgraph_sdl(sectors, g.name)) for g in subgraphs(sectors)]))
"""


@pytest.mark.node
def test_composition_with_the_hajj_subgraph_succeeds(site: Path) -> None:
    from hub.api.federation import node_available

    if not node_available():
        pytest.skip("Node.js federation peers missing (./dev test installs them)")
    supergraph = python(site, COMPOSE_SCRIPT)
    assert 'HAJJ @join__graph(name: "hajj", url: "http://127.0.0.1:4006/graphql")' in supergraph
    assert "type HajjPermit" in supergraph and "hajj: HajjOfPerson @join__field(graph: HAJJ)" in supergraph


# Arguments: folder, people, person ID, query (with `$id`), sector…: seeds a hub on SQLite in the
# folder, asks the query as an officer of each sector named, and prints {sector: answer and HTTP status}.
QUERY_SCRIPT = """
import asyncio, json, sys
from pathlib import Path

import httpx

from hub.web.app import create_app
from hub.web.hub import Hub
from hub.contract.principal import Principal, Role
from hub.settings import Settings

async def main(folder: str, people: str, person_id: str, query: str, *sectors: str) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{folder}/rabt.db", data_dir=Path(folder),
                        seed_people=int(people), seed=2026)
    hub = Hub.build(settings)
    app = create_app(settings, hub)
    answers = {}
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rabt.test") as client:
            for sector in sectors:
                token = hub.signer.issue(Principal(Role.OFFICER, person_id="1000000008", sector=sector))
                response = await client.post("/graphql", json={"query": query, "variables": {"id": person_id}},
                                             headers={"authorization": f"Bearer {token}", "x-purpose": "test"})
                answers[sector] = {"status": response.status_code, **response.json()}
    print(json.dumps(answers))

asyncio.run(main(*sys.argv[1:]))
"""


def test_a_real_query_over_the_hub_reads_a_persons_hajj_permits(site: Path, tmp_path: Path) -> None:
    query = (
        "query($id: ID!) { person(id: $id) { id hajj { permits { number season status "
        "issuedOn { gregorian hijri } } } } }"
    )
    answers: dict[str, Any] = python_json(
        site, QUERY_SCRIPT, str(tmp_path), PEOPLE, FAMILY_HEAD, query, "hajj", "traffic"
    )
    as_hajj_officer = answers["hajj"]
    assert as_hajj_officer["status"] == 200 and "errors" not in as_hajj_officer, as_hajj_officer
    permits = as_hajj_officer["data"]["person"]["hajj"]["permits"]
    assert [permit["status"] for permit in permits] == ["ISSUED", "USED"]
    assert permits[0]["season"] == permits[1]["season"] + 5  # the latest season first
    assert permits[0]["issuedOn"]["hijri"] is not None
    # The access policy covers an outside sector like any other: a traffic officer may not read it.
    as_traffic_officer = answers["traffic"]
    assert as_traffic_officer["data"]["person"] == {"id": FAMILY_HEAD, "hajj": None}
    assert [error["extensions"]["code"] for error in as_traffic_officer["errors"]] == ["FORBIDDEN"]
