"""The lock files the Dockerfile and ./dev install from (`pip install --require-hashes`) hold every
dependency pyproject.toml declares, at a version its bounds allow, each with its hashes: a
dependency added or a bound changed without `./dev lock` fails here, not in a fresh clone's install."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)")


def _pins(lock: str) -> dict[str, Version]:
    text = (ROOT / lock).read_text()
    pins = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", text):
        found = PIN.match(entry)
        if found:
            assert "--hash=sha256:" in entry, f"{lock}: {found.group(1)} has no hash"
            pins[canonicalize_name(found.group(1))] = Version(found.group(2))
    return pins


@pytest.mark.parametrize(
    ("lock", "declared"),
    [
        ("requirements.lock", PROJECT["dependencies"]),
        ("requirements-test.lock", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]),
    ],
)
def test_each_lock_pins_every_declared_dependency_within_its_bounds(lock: str, declared: list[str]) -> None:
    pins = _pins(lock)
    for line in declared:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is missing from {lock}: run ./dev lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock} pins {name}=={pins[name]}, outside {requirement.specifier}: run ./dev lock"
        )
