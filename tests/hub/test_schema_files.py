"""The checked-in SDL is what the code builds, and every type and field says what it is."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLUnionType

from hub.api.schema import schema_for
from hub.cli.sdl import python_files
from hub.registry import installed_sectors

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_the_checked_in_sdl_is_not_stale() -> None:
    stale = [
        relative
        for relative, text in python_files().items()
        if not (SCHEMAS / relative).exists() or (SCHEMAS / relative).read_text(encoding="utf-8") != text
    ]
    assert stale == [], f"run `./dev hub schema` and commit: stale {stale}"


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    schema = schema_for(installed_sectors(), None)._schema
    missing = []
    for name, named in schema.type_map.items():
        if name.startswith("_") or name in ("String", "Int", "Float", "Boolean", "ID"):  # "_": federation plumbing
            continue
        if not named.description:
            missing.append(name)
        if isinstance(named, GraphQLObjectType | GraphQLInputObjectType):
            for field_name, field in named.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
        if isinstance(named, GraphQLEnumType):
            continue  # enum values read as words (VALID, EXPIRED); the enum itself is described
        if isinstance(named, GraphQLUnionType) and not named.description:
            missing.append(name)
    assert missing == []
