"""The checked-in SDL is what the code builds, and every type and field says what it is."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, build_schema

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


def test_the_hub_sdl_builds_a_schema_as_it_stands() -> None:
    """Front ends' tools read it with the spec's SDL validation: every directive it applies is defined."""
    schema = build_schema((SCHEMAS / "hub.graphql").read_text(encoding="utf-8"))
    assert schema.get_type("Person") is not None and schema.get_directive("key") is not None


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    """Types, object, interface and input fields, arguments (a mutation's `input` too), enum values."""
    schema = schema_for(installed_sectors(), None)._schema
    missing = []
    for name, named in schema.type_map.items():
        if name.startswith("_") or name in ("String", "Int", "Float", "Boolean", "ID"):  # "_": federation plumbing
            continue
        if not named.description:
            missing.append(name)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            missing += [f"{name}.{field_name}" for field_name, field in named.fields.items() if not field.description]
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            missing += [
                f"{name}.{field_name}({argument_name})"
                for field_name, field in named.fields.items()
                for argument_name, argument in field.args.items()
                if not argument.description
            ]
        if isinstance(named, GraphQLEnumType):
            missing += [f"{name}.{value_name}" for value_name, value in named.values.items() if not value.description]
    assert missing == []
