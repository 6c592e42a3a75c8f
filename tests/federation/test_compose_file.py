"""docker-compose.yml is generated, current, and says only what the code accepts.

No Docker engine runs here, so the file is kept honest another way: every `command:` is parsed by
the CLI parser the hub itself uses (or equals the Node command of hub.api.federation), every port is
the registry's, every dependency waits on a health check or a finished one-shot, and every
RABT_* variable given to a container is one the code reads.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from hub.api.federation import GATEWAY_HEAP_MB, GATEWAY_PORT, gateway_command, node_available, subgraphs
from hub.cli import build_parser
from hub.cli.compose_file import (
    APP_DIR,
    COMPOSE_FILE,
    add_parser,
    compose_file,
    in_image,
    service_name,
)
from hub.cli.db_roles import password_variable, privileges
from hub.registry import installed_sectors
from hub.settings import PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
CHECKED_IN = ROOT / COMPOSE_FILE
SUBGRAPHS = subgraphs(installed_sectors())


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(CHECKED_IN.read_text(encoding="utf-8"))
    assert set(document) == {"services", "volumes"}
    return document["services"]  # type: ignore[no-any-return]


def python_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: service for name, service in services.items() if service.get("command", [])[:3] == ["python", "-m", "hub"]
    }


def test_the_checked_in_file_is_what_the_code_generates() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == compose_file(installed_sectors()), (
        "docker-compose.yml is stale: run `python -m hub compose-file`"
    )


def test_it_names_every_service_the_readme_describes(services: dict[str, dict[str, Any]]) -> None:
    expected = {"postgres", "redis", "seed", "gateway", "hub"} | {service_name(graph.name) for graph in SUBGRAPHS}
    assert expected <= set(services)
    assert {"identity", "passports", "traffic", "civil-affairs", "civil-defence"} <= set(services)


def test_every_python_command_parses_with_the_hubs_own_cli(services: dict[str, dict[str, Any]]) -> None:
    parser = build_parser()
    commands = {}
    for name, service in python_services(services).items():
        assert all(isinstance(part, str) for part in service["command"]), name
        commands[name] = parser.parse_args(service["command"][3:])  # argparse exits (fails) on a bad command
    assert commands["seed"].command == "seed"
    assert (commands["hub"].command, commands["hub"].host) == ("serve", "0.0.0.0")
    assert services["hub"]["ports"] == [f"{commands['hub'].port}:{commands['hub'].port}"]
    for graph in SUBGRAPHS:
        args = commands[service_name(graph.name)]
        assert (args.command, args.name, args.host, args.port) == ("subgraph", graph.name, "0.0.0.0", graph.port)


def test_every_subgraph_listens_where_the_registry_says_and_is_checked_there(
    services: dict[str, dict[str, Any]],
) -> None:
    for graph in SUBGRAPHS:
        service = services[service_name(graph.name)]
        assert service["expose"] == [str(graph.port)]
        assert f"http://127.0.0.1:{graph.port}/healthz" in " ".join(service["healthcheck"]["test"])


def test_the_gateway_runs_the_command_of_hub_federation(services: dict[str, dict[str, Any]]) -> None:
    gateway = services["gateway"]
    assert gateway["command"] == in_image(gateway_command())
    assert gateway["command"][1:] == [
        f"--max-old-space-size={GATEWAY_HEAP_MB}",  # flat under load (hub.api.federation)
        f"{APP_DIR}/federation/node_modules/.bin/hive-gateway",
        "supergraph",
        "-c",
        f"{APP_DIR}/federation/gateway.config.mjs",
    ]
    assert gateway["ports"] == [f"{GATEWAY_PORT}:{GATEWAY_PORT}"]
    assert gateway["environment"]["RABT_SUPERGRAPH"] == services["supergraph"]["command"][2]
    waits_for = gateway["depends_on"]
    for graph in SUBGRAPHS:
        assert waits_for[service_name(graph.name)] == {"condition": "service_healthy"}
    assert waits_for["supergraph"] == {"condition": "service_completed_successfully"}


def test_the_supergraph_routes_to_each_subgraph_container(services: dict[str, dict[str, Any]]) -> None:
    node, script, _, *arguments = services["supergraph"]["command"]
    assert (node, script) == ("node", f"{APP_DIR}/federation/compose.mjs")
    assert arguments == [
        f"{graph.name}=http://{service_name(graph.name)}:{graph.port}/graphql={APP_DIR}/schemas/subgraphs/{graph.name}.graphql"
        for graph in SUBGRAPHS
    ]
    for argument in arguments:  # the SDL files it composes are the checked-in ones (kept fresh by their own test)
        assert (ROOT / argument.rsplit("=", 1)[1].removeprefix(f"{APP_DIR}/")).is_file()


def test_every_dependency_waits_for_health_or_a_finished_one_shot(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for needed, how in service.get("depends_on", {}).items():
            assert needed in services, f"{name} depends on an unknown service {needed}"
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], f"{name} waits for {needed}, which has no healthcheck"
            else:
                assert how["condition"] == "service_completed_successfully", (name, needed)
                assert services[needed]["restart"] == "no", f"{needed} is not a one-shot"
    one_shots = {name for name, service in services.items() if service.get("restart") == "no"}
    assert one_shots == {"seed", "db-roles", "supergraph"}
    for name in set(services) - one_shots:
        assert "healthcheck" in services[name], f"{name} runs for good but has no healthcheck"


def test_every_python_service_shares_one_database_each_as_its_own_role_and_gets_only_variables_the_code_reads(
    services: dict[str, dict[str, Any]],
) -> None:
    # One database; the seed and db-roles as its owner, each subgraph (and the hub) as its own role.
    users = {
        name: make_url(service["environment"]["RABT_DATABASE_URL"]).username
        for name, service in python_services(services).items()
    }
    assert {make_url(s["environment"]["RABT_DATABASE_URL"]).host for s in python_services(services).values()} == {
        "postgres"
    }
    roles = privileges(installed_sectors())
    assert users == {
        "seed": "rabt",
        "db-roles": "rabt",
        "hub": "rabt_hub",
        **{service_name(graph.name): f"rabt_{graph.name}" for graph in SUBGRAPHS},
    }
    assert {f"rabt_{role.name}" for role in roles} == set(users.values()) - {"rabt"}
    for name, service in services.items():  # nothing weak by default: every secret is required
        for variable, value in service.get("environment", {}).items():
            if any(word in variable for word in ("PASSWORD", "SECRET", "PEPPER", "PRIVATE_KEY")):
                assert re.match(r"\$\{RABT_[A-Z_]+:\?", value), (name, variable, value)
        url = service.get("environment", {}).get("RABT_DATABASE_URL")
        if url is not None:
            required_password = r"\$\{RABT_[A-Z_]+:\?[^}]+\}"
            assert re.match(rf"postgresql\+asyncpg://rabt[a-z_]*:{required_password}@postgres:5432/rabt$", url), url
        defaults = set(re.findall(r"\$\{(\w+):-", str(service)))
        assert defaults <= {"RABT_SEED_PEOPLE"}, f"{name} has defaults that could be weak secrets: {defaults}"
    only_identity = {"RABT_TOKEN_PRIVATE_KEY", "RABT_OTP_PEPPER", "RABT_STATISTICS_KEY"}
    holders = {name for name, service in services.items() if only_identity & set(service.get("environment", {}))}
    assert holders == {"identity", "hub"}
    password_variables = {password_variable(role.name) for role in roles}
    read_by_code = (
        password_variables
        | {f"{PREFIX}{name.upper()}" for name in Settings.model_fields}
        | set(
            re.findall(
                r"RABT_[A-Z_]+",
                "".join(
                    path.read_text(encoding="utf-8")
                    for path in (ROOT / "hub").rglob("*.py")
                    if path.name != "compose_file.py"
                ),
            )
        )
    )
    names = [sector.name for sector in installed_sectors()]
    for name, service in python_services(services).items():
        # Read by pattern: RABT_<SECTOR>_SUBGRAPH_URL, each sector's subgraph (hub.web.peer_checks).
        peers = Settings.from_env({}).subgraph_urls(names, service["environment"])
        unknown = (
            set(service["environment"]) - read_by_code - {f"{PREFIX}{peer.upper()}_SUBGRAPH_URL" for peer in peers}
        )
        assert not unknown, f"{name} is given variables no code reads: {sorted(unknown)}"
        # Only the seed service seeds; the others would each try to at start-up.
        assert (service["environment"]["RABT_SEED_PEOPLE"] == "0") == (name != "seed"), name


def test_the_dockerfile_builds_the_targets_and_files_the_commands_use(services: dict[str, dict[str, Any]]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^FROM \S+ AS (\S+)$", dockerfile, re.MULTILINE))
    assert {service["build"]["target"] for service in services.values() if "build" in service} == targets
    assert re.search(r"^FROM python:3\.11\.\d+-slim\S* AS hub$", dockerfile, re.MULTILINE)
    for copied in ("federation/compose.mjs", "federation/gateway.config.mjs", "schemas/subgraphs"):
        assert copied.split("/")[-1] in dockerfile, copied


def test_the_cli_command_checks_and_rewrites_a_stale_copy(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "docker-compose.yml"
    out.write_text("services: {}\n")

    def run(*argv: str) -> int:
        args = parser.parse_args(["compose-file", "--out", str(out), *argv])
        return int(args.run(args, Settings()))

    assert run("--check") == 1
    assert out.read_text() == "services: {}\n"
    assert run() == 0
    assert out.read_text() == CHECKED_IN.read_text()
    assert run("--check") == 0


@pytest.mark.node
def test_the_containers_supergraph_is_the_checked_in_one_but_for_the_routing_urls(
    services: dict[str, dict[str, Any]],
    tmp_path: Path,
) -> None:
    if not node_available():
        pytest.skip("Node.js federation peers missing (./dev test installs them)")
    node, script, _, *arguments = services["supergraph"]["command"]
    local = [argument.replace(f"{APP_DIR}/", f"{ROOT}/") for argument in arguments]
    out = tmp_path / "supergraph.graphql"
    done = subprocess.run(
        [node, script.replace(f"{APP_DIR}/", f"{ROOT}/"), str(out), *local],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    expected = (ROOT / "schemas" / "supergraph.graphql").read_text(encoding="utf-8")
    for graph in SUBGRAPHS:
        expected = expected.replace(graph.url, f"http://{service_name(graph.name)}:{graph.port}/graphql")
    assert out.read_text(encoding="utf-8") == expected
