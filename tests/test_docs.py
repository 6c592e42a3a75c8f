"""The README and docs/ lead somewhere: every relative link reaches a file and its heading, and
every path of the tree they name exists, so a newcomer following them finds the code."""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
NAMED_PATH = re.compile(r"`((?:hub|sectors|bench|tests|schemas|federation|docs)/[\w./-]*)`")
PLACEHOLDER = re.compile(r"<|NAME|\*|\.\.\.|…")


def slug(heading: str) -> str:
    """A heading's anchor as the forge makes it: lower case, punctuation dropped, spaces as '-'."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):  # http(s), mailto: not this test's business
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        missing_heading = linked.exists() and anchor and linked.suffix == ".md" and anchor not in anchors(linked)
        if not linked.exists() or missing_heading:
            broken.append(target)
    return broken


def missing_paths(page: Path) -> list[str]:
    named = NAMED_PATH.findall(page.read_text(encoding="utf-8"))
    return [path for path in named if not PLACEHOLDER.search(path) and not (ROOT / path.rstrip("/")).exists()]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_link_reaches_its_file_and_heading(page: Path) -> None:
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_path_of_the_tree_a_page_names_exists(page: Path) -> None:
    assert missing_paths(page) == []


def test_the_checks_find_a_broken_link_a_missing_heading_and_a_missing_path(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## Budgets, outages and health\n", encoding="utf-8")
    page.write_text(
        "[a](other.md#budgets-outages-and-health) [b](gone.md) [c](other.md#nowhere) [d](https://example.org)\n"
        "`hub/contract/` `hub/no_such_module.py` `sectors/<sector>/person.py`\n",
        encoding="utf-8",
    )
    assert broken_links(page) == ["gone.md", "other.md#nowhere"]
    assert missing_paths(page) == ["hub/no_such_module.py"]


def test_the_readme_stays_a_front_page() -> None:
    """What Rabt is, the two commands, the diagrams and where things are; the rest lives in docs/."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Rabt")
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move material to docs/"


def test_the_error_page_lists_every_code() -> None:
    """docs/errors.md is where front ends look a code up: a code added to hub/contract/errors.py
    without its row fails here."""
    from hub.contract.errors import Code

    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", (ROOT / "docs" / "errors.md").read_text(encoding="utf-8"), re.M))
    assert sorted(code.value for code in Code if code.value not in listed) == []


def _refusal_codes() -> dict[str, str]:
    """Every code a mutation or a service's rules may refuse with, by the module that declares it:
    the `refusals(...)` tables and `Rules` of the built-in sectors and of the accounts."""
    from hub.contract.services import Rules
    from hub.contract.values import Refusals

    for package in ("sectors", "hub.accounts"):
        for module in pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}."):
            importlib.import_module(module.name)
    codes: dict[str, str] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith(("sectors.", "hub.accounts.")):
            continue
        for value in vars(module).values():
            if isinstance(value, Refusals):
                codes.update(dict.fromkeys(value.messages, name))
            elif isinstance(value, Rules):
                codes.update(dict.fromkeys(value.texts, name))
    return codes


def test_the_docs_name_every_refusal_code() -> None:
    """A front end handles a Refusal by its `code`: each one a mutation or a rule can give is named
    where front ends read about it: docs/services.md, docs/accounts.md, or the mutation's own
    description in the schema."""
    codes = _refusal_codes()
    assert {"ABSCONDING_REPORT_OPEN", "VIOLATION_NOT_UNPAID", "SESSION_EXPIRED"} <= set(codes)  # found all kinds
    pages = [ROOT / "docs" / "services.md", ROOT / "docs" / "accounts.md", ROOT / "schemas" / "hub.graphql"]
    documented = "".join(page.read_text(encoding="utf-8") for page in pages)
    assert {code: module for code, module in codes.items() if not re.search(rf"\b{code}\b", documented)} == {}
