"""No unannounced breaking change: what front ends rely on stays, or the changelog says why not.

schemas/baseline.graphql is the hub schema as last released; schemas/CHANGELOG.md lists, under
"Unreleased", every breaking change since then (graphql-core's own description of it, word for word).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from graphql import GraphQLSchema, build_ast_schema, build_schema, find_breaking_changes, parse
from graphql.language import ObjectTypeDefinitionNode

from hub.api.schema import schema_for
from hub.registry import installed_sectors

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
BASELINE = SCHEMAS / "baseline.graphql"
CHANGELOG = SCHEMAS / "CHANGELOG.md"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def baseline_schema(sdl: str) -> GraphQLSchema:
    # The hub's SDL carries `@key(fields: "id")` on Person without defining the directive: that is
    # federation's, not a client's concern, so the SDL is built without validating directives.
    return build_schema(sdl, assume_valid_sdl=True)


def unreleased_section(changelog: str) -> str:
    """The text under the "Unreleased" heading, up to the next heading of the same or a higher level."""
    lines = changelog.splitlines()
    for start, line in enumerate(lines):
        found = _HEADING.match(line)
        if found and found.group(2).strip().lower() == "unreleased":
            level = len(found.group(1))
            body = []
            for later in lines[start + 1 :]:
                heading = _HEADING.match(later)
                if heading and len(heading.group(1)) <= level:
                    break
                body.append(later)
            return "\n".join(body)
    return ""


def _words(text: str) -> str:
    return " ".join(text.split())  # a description wrapped over two lines still counts


def unannounced(baseline: GraphQLSchema, now: GraphQLSchema, changelog: str) -> list[str]:
    """Each breaking change from `baseline` to `now` that the Unreleased section does not name."""
    announced = _words(unreleased_section(changelog))
    return [
        change.description
        for change in find_breaking_changes(baseline, now)
        if _words(change.description) not in announced
    ]


def test_every_breaking_change_since_the_last_release_is_in_the_changelog() -> None:
    now = schema_for(installed_sectors(), None)._schema
    missing = unannounced(
        baseline_schema(BASELINE.read_text(encoding="utf-8")), now, CHANGELOG.read_text(encoding="utf-8")
    )
    assert missing == [], (
        "breaking changes to the hub schema since schemas/baseline.graphql; keep what clients use, or announce "
        "each under '## Unreleased' in schemas/CHANGELOG.md:\n" + "\n".join(f"- {line}" for line in missing)
    )


def test_the_changelog_has_an_unreleased_section() -> None:
    assert re.search(r"^## Unreleased\s*$", CHANGELOG.read_text(encoding="utf-8"), re.MULTILINE)


# The check itself, on scratch copies (nothing in the repository changes).


def _without_field(sdl: str, type_name: str, field_name: str) -> GraphQLSchema:
    document = parse(sdl)
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value == type_name:
            kept = tuple(field for field in definition.fields or () if field.name.value != field_name)
            assert len(kept) == len(definition.fields or ()) - 1, f"{type_name}.{field_name} not in the SDL"
            definition = dataclasses.replace(definition, fields=kept)
        definitions.append(definition)
    return build_ast_schema(dataclasses.replace(document, definitions=tuple(definitions)), assume_valid_sdl=True)


def test_a_removed_field_fails_until_the_unreleased_section_announces_it() -> None:
    sdl = BASELINE.read_text(encoding="utf-8")
    baseline, without_name = baseline_schema(sdl), _without_field(sdl, "Person", "nameEn")
    empty = "# Changes\n\n## Unreleased\n\nNothing yet.\n"
    [reported] = unannounced(baseline, without_name, empty)
    assert reported.endswith("Person.nameEn was removed.")  # graphql-core 3.3 says "Field Person.nameEn …"
    announced = f"# Changes\n\n## Unreleased\n\n- {reported}\n  Use `name(language: EN)`.\n"
    assert unannounced(baseline, without_name, announced) == []
    # Announced in an earlier release's section, not under Unreleased: still reported.
    released = f"# Changes\n\n## Unreleased\n\n## 1.0 (2026-01-01)\n\n- {reported}\n"
    assert unannounced(baseline, without_name, released) == [reported]


def test_additions_are_not_breaking() -> None:
    sdl = BASELINE.read_text(encoding="utf-8")
    assert unannounced(_without_field(sdl, "Person", "nameEn"), baseline_schema(sdl), "") == []
