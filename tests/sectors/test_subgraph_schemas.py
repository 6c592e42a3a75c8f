"""Each sector's subgraph, built afresh here, is its checked-in SDL: a mutation's name, result type
or description changed in a sector's `fields()` fails this test (the schema the other tests use was
built once, before they ran, so a mutant of `fields()` would go unseen there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.api.federation import subgraph_sdl
from hub.registry import installed_sectors

SUBGRAPHS = Path(__file__).resolve().parents[2] / "schemas" / "subgraphs"


@pytest.mark.parametrize("sector", [sector.name for sector in installed_sectors()])
def test_the_sector_subgraph_is_built_as_checked_in(sector: str) -> None:
    assert subgraph_sdl(installed_sectors(), sector) == (SUBGRAPHS / f"{sector}.graphql").read_text(encoding="utf-8")
