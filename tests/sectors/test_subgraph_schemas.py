"""Each sector's subgraph, built afresh here, is its checked-in SDL: a mutation's name, result type
or description changed in a sector's `fields()` fails this test (the schema the other tests use was
built once, before they ran, so a mutant of `fields()` would go unseen there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.api.federation import subgraph_sdl
from hub.registry import installed_sectors

SUBGRAPHS = Path(__file__).resolve().parents[2] / "schemas" / "subgraphs"


CHECKED_IN = sorted(path.stem for path in SUBGRAPHS.glob("*.graphql") if path.stem != "identity")
"""The sectors whose subgraph is checked in (`./dev hub schema` writes a new sector's)."""


def test_every_installed_sector_has_its_subgraph_checked_in() -> None:
    assert sorted(sector.name for sector in installed_sectors()) == CHECKED_IN


@pytest.mark.parametrize("sector", CHECKED_IN)
def test_the_sector_subgraph_is_built_as_checked_in(sector: str) -> None:
    assert subgraph_sdl(installed_sectors(), sector) == (SUBGRAPHS / f"{sector}.graphql").read_text(encoding="utf-8")
