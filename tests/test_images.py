"""The images and docker-compose.yml, checked without a Docker engine (none runs here): the compose
file against the Compose specification's JSON schema (vendored from compose-spec/compose-spec,
tests/data/compose-spec.json), the Dockerfile for what every image must have."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "tests/data/compose-spec.json").read_text())
# A release (major.minor.patch; PostgreSQL numbers its releases major.minor), or a digest.
EXACT = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+[\w.-]*$|^postgres:\d+\.\d+[\w.-]*$|@sha256:[0-9a-f]{64}$")


def _compose_errors(document: object) -> list[str]:
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def test_docker_compose_follows_the_compose_specification() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert _compose_errors(compose) == []
    # The schema bites: a misspelt key or a wrong type is found.
    compose["services"]["hub"]["helthcheck"] = {}
    compose["services"]["gateway"]["depends_on"]["identity"]["condition"] = "healthy"
    assert len(_compose_errors(compose)) == 2


def test_compose_images_are_exact_releases_or_built_here() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        image = service["image"]
        assert "build" in service or EXACT.search(image), f"{name}: {image} is not an exact release"


def _stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (instruction, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction, _, arguments = line.strip().partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def test_every_image_is_pinned_runs_as_a_user_and_has_a_command() -> None:
    stages = _stages()
    assert len(stages) == 2
    for stage in stages:
        base = stage[0][1].split()[0]
        assert EXACT.search(base), f"{base}: not an exact release or digest"
        users = [arguments for instruction, arguments in stage if instruction == "USER"]
        assert users and users[-1] not in ("root", "0"), f"{base}: runs as root"
        assert [instruction for instruction, _ in stage][-1] == "CMD" or any(i == "CMD" for i, _ in stage)
    assert _stages()[1][0][1].startswith("node:22."), "the gateway runs on Node 22 LTS"


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    for stage in _stages():
        steps = [f"{instruction} {arguments}" for instruction, arguments in stage]
        install = next(i for i, step in enumerate(steps) if "--require-hashes" in step or "npm ci" in step)
        code = next(i for i, step in enumerate(steps) if re.match(r"COPY (hub|federation/compose\.mjs)", step))
        assert install < code, steps
        copied_before = " ".join(steps[:install])
        assert "COPY hub" not in copied_before and "COPY sectors" not in copied_before


def test_the_build_context_admits_only_what_the_dockerfile_copies() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("*") if "*" in ignored else -1] == "*", "everything is left out first"
    admitted = {line[1:] for line in ignored if line.startswith("!")}
    copied = set()
    for stage in _stages():
        for instruction, arguments in stage:
            if instruction == "COPY":
                copied.update(arguments.split()[:-1])
    assert copied <= admitted, copied - admitted
    assert not {".venv", ".env", "var", ".git"} & admitted
