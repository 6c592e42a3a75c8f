"""Civil defence's subgraph, built afresh here, is the checked-in SDL: a mutation's name, result
type or description changed in `fields()` fails this test (the schema the other tests use was built
before they ran)."""

from __future__ import annotations

from pathlib import Path

from hub.api.federation import subgraph_sdl
from hub.registry import installed_sectors

CHECKED_IN = Path(__file__).resolve().parents[3] / "schemas" / "subgraphs" / "civil_defence.graphql"


def test_the_civil_defence_subgraph_is_built_as_checked_in() -> None:
    assert subgraph_sdl(installed_sectors(), "civil_defence") == CHECKED_IN.read_text(encoding="utf-8")
