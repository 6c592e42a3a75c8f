"""`./dev mutate [module ...]`: mutation testing (mutmut) of the modules that hold rules, each
against the tests that cover it, and the share of mutants killed per module.

A deliberate small bug (a `<` made `<=`, a condition negated, a constant moved by one) that no
test notices shows a rule the suite does not pin down. Each module runs in its own scratch folder
under var/mutation/ (mutmut writes its mutated copy beside the configuration it reads), on SQLite
only: a mutant is the same bug on either database, and PostgreSQL's tests run in the suite.

Modules are named by path (`hub/contract/national_id.py`) or by a unique part of one (`national_id`).
Without a name every module below is run in turn: hours on a small machine, so name
the one you changed. Survivors are listed; docs/testing.md says which are equivalent and why.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "var" / "mutation"
TARGET = 0.90


@dataclass(frozen=True)
class Module:
    path: str
    tests: tuple[str, ...]


_SERVICES = ("tests/services",)
_SCHEMAS = "tests/sectors/test_subgraph_schemas.py"  # the only tests that see a mutant of a sector's fields()
_AUDIT = ("tests/hub/test_audit.py", "tests/hub/test_audit_index.py")


def _sector(sector: str, *more: str) -> tuple[str, ...]:
    return (f"tests/sectors/{sector}", *more, *_SERVICES, _SCHEMAS)


def _accounts(*names: str) -> tuple[str, ...]:
    """The accounts' tests that ask the module's rules. Nearly every accounts test registers and
    signs in on its way, so the whole folder would run for each mutant of those: hours, not minutes."""
    return tuple(f"tests/hub/accounts/test_{name}.py" for name in names)


_ELIGIBILITY = "tests/services/test_eligibility.py"
# Every service against every seeded person: ~20 s on SQLite, run again for each mutant no faster test
# killed. A workflow's own tests trigger each of its refusals; the sweep runs in the suite.
_SWEEP = f"{_ELIGIBILITY}::test_every_service_refuses_with_exactly_the_blockers_eligibility_gives"


def _workflow(sector: str, *names: str) -> tuple[str, ...]:
    """The sector's tests that ask one module's mutations, and eligibility (each refusal of a
    mutation is its eligibility's blocker); the sector's whole folder and every cross-sector test
    for each mutant would take hours."""
    return (*(f"tests/sectors/{sector}/test_{name}.py" for name in names), _ELIGIBILITY, "--deselect", _SWEEP, _SCHEMAS)


MODULES = [
    Module("hub/contract/national_id.py", ("tests/hub/test_national_id.py",)),
    Module("hub/access/gate.py", ("tests/hub/access", "tests/sectors/passports", "tests/hub/test_audit.py")),
    Module("hub/access/policy.py", ("tests/hub/access", "tests/sectors/passports")),
    Module("hub/api/limits.py", ("tests/hub/test_limits.py", "tests/hub/test_http.py")),
    Module(
        "hub/accounts/lockout.py", ("tests/hub/accounts/test_lockout_count.py", "tests/hub/accounts/test_lockout.py")
    ),
    Module("hub/accounts/otp.py", ("tests/hub/accounts/test_otp.py",)),
    Module("hub/accounts/registration.py", _accounts("registration", "activation", "lockout", "each_limit")),
    Module("hub/accounts/sign_in.py", _accounts("sign_in", "lockout", "each_limit", "sessions")),
    Module("hub/accounts/recovery.py", _accounts("recovery", "lockout", "lockout_count", "each_limit")),
    # Only these ask changePassword: the rest of the accounts' tests never reach its mutants.
    Module(
        "hub/accounts/password_change.py",
        ("tests/hub/accounts/test_sessions.py", "tests/hub/accounts/test_each_limit.py"),
    ),
    Module("hub/accounts/sessions.py", _accounts("sessions", "sign_in")),
    Module("hub/audit/chain.py", _AUDIT),
    Module("hub/audit/verify.py", _AUDIT),
    Module("sectors/passports/relations.py", ("tests/hub/access", "tests/sectors/passports")),
    Module("sectors/passports/services.py", _sector("passports")),
    Module("sectors/passports/mutations.py", _workflow("passports", "passports_services", "visa_changes")),
    Module("sectors/passports/workflows/absconding.py", _workflow("passports", "absconding", "write_parties")),
    Module("sectors/passports/workflows/passport.py", _workflow("passports", "passport_renewal")),
    Module(
        "sectors/passports/workflows/transfer.py",
        _workflow("passports", "transfer", "write_parties", "establishments"),
    ),
    Module("sectors/passports/workflows/visas.py", _workflow("passports", "visa_changes")),
    Module(
        "sectors/passports/establishments/users.py", ("tests/sectors/passports/test_establishment_users.py", _SCHEMAS)
    ),
    Module(
        "sectors/passports/establishments/authorisations.py",
        ("tests/sectors/passports/test_establishment_users.py", _SCHEMAS),
    ),
    Module("sectors/civil_affairs/relations.py", ("tests/hub/access", "tests/sectors/civil_affairs")),
    Module("sectors/civil_affairs/services.py", _sector("civil_affairs")),
    Module("sectors/civil_affairs/mutations.py", _workflow("civil_affairs", "id_card_renewal", "lost_id_card")),
    Module("sectors/civil_affairs/workflows/address.py", _workflow("civil_affairs", "civil_affairs")),
    Module("sectors/civil_affairs/workflows/births.py", _workflow("civil_affairs", "newborn", "newborn_parties")),
    Module("sectors/civil_affairs/workflows/text.py", ("tests/sectors/civil_affairs/test_text.py",)),
    Module("sectors/traffic/services.py", _sector("traffic", "tests/sectors/civil_affairs")),
    Module("sectors/traffic/mutations.py", _workflow("traffic", "licence_renewal")),
    Module(
        "sectors/traffic/workflows/vehicles.py",
        _workflow("traffic", "registration_renewal", "vehicle_transfer", "sale_parties"),
    ),
    Module("sectors/traffic/workflows/violations.py", _workflow("traffic", "traffic", "violations")),
    Module(
        "sectors/civil_defence/mutations.py",
        _workflow("civil_defence", "civil_defence", "report_limits", "safety_permits"),
    ),
]
# Settled once, the same for every module: SQLite only, no Node, quiet, and no cache in the copy.
PYTEST_ARGS = ["-m", "not postgres and not node", "-q", "-p", "no:cacheprovider", "-x"]
_RESULT = re.compile(r"^\s*(\S+__mutmut_\d+): (.+)$")


def _chosen(names: list[str]) -> list[Module]:
    if not names:
        return MODULES
    chosen = []
    for name in names:
        found = [module for module in MODULES if name == module.path or name in module.path]
        if len(found) != 1:
            known = ", ".join(module.path for module in MODULES)
            sys.exit(f"{name!r} names {len(found)} of the modules: {known}")
        chosen += found
    return chosen


def _configuration(module: Module) -> str:
    """The project's pyproject.toml with a [tool.mutmut] for this module (mutmut reads only its cwd's)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "mutmut" not in tomllib.loads(text).get("tool", {}), "configure mutmut here, not in pyproject.toml"

    def strings(values: list[str] | tuple[str, ...]) -> str:
        return "[" + ", ".join(f'"{value}"' for value in values) + "]"

    return (
        text
        + "\n[tool.mutmut]\n"
        + f"source_paths = {strings(['hub', 'sectors'])}\n"
        + f"only_mutate = {strings([module.path])}\n"
        + f"pytest_add_cli_args_test_selection = {strings(module.tests)}\n"
        + f"pytest_add_cli_args = {strings(PYTEST_ARGS)}\n"
        + 'also_copy = ["schemas"]\n'
    )


def _scratch(module: Module) -> Path:
    return SCRATCH / module.path.replace("/", "_").removesuffix(".py")


def run(module: Module, children: int) -> tuple[int, int, list[str]]:
    """(killed, total, survivors) for one module, from a fresh scratch folder."""
    scratch = _scratch(module)
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    for name in ("hub", "sectors", "tests", "schemas"):
        (scratch / name).symlink_to(ROOT / name)
    (scratch / "pyproject.toml").write_text(_configuration(module), encoding="utf-8")
    mutmut = Path(sys.executable).with_name("mutmut")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    log = scratch / "run.log"
    with log.open("w") as out:
        subprocess.run(
            [str(mutmut), "run", "--max-children", str(children)],
            cwd=scratch,
            env=env,
            stdout=out,
            stderr=out,
            check=False,
        )
    listed = subprocess.run(
        [str(mutmut), "results", "--all", "true"], cwd=scratch, env=env, capture_output=True, text=True, check=False
    ).stdout
    statuses = dict(match.groups() for line in listed.splitlines() if (match := _RESULT.match(line)))
    if not statuses:
        sys.exit(f"{module.path}: mutmut reported no mutants; see {log}")
    killed = sum(status in ("killed", "timeout", "caught by type check") for status in statuses.values())
    survivors = sorted(
        name for name, status in statuses.items() if status not in ("killed", "timeout", "caught by type check")
    )
    return killed, len(statuses), [f"{name}: {statuses[name]}" for name in survivors]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module paths, or unique parts of them (default: all)")
    parser.add_argument("--children", type=int, default=2, help="mutants tested at once (default: 2)")
    args = parser.parse_args()
    scores = []
    for module in _chosen(args.modules):
        killed, total, survivors = run(module, args.children)
        scores.append((module.path, killed, total))
        print(f"{module.path}: {killed}/{total} killed ({killed / total:.1%})", flush=True)
        for survivor in survivors:
            print(f"  {survivor}", flush=True)
        if survivors:
            print(f"  (each one's change: cd {_scratch(module)} && mutmut show <name>)", flush=True)
    below = [path for path, killed, total in scores if killed < TARGET * total]
    print("\n".join(f"{path:45} {killed:4}/{total:<4} {killed / total:6.1%}" for path, killed, total in scores))
    if below:
        sys.exit(f"below {TARGET:.0%} killed: {', '.join(below)}")


if __name__ == "__main__":
    main()
