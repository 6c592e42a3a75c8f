"""Walks the schema: every path from a person's sector namespace into another person's data passes
that person's gate. Types reached from a namespace (not through `Person`) that hold someone else's
`person_id` must be marked `of_person`, and every field returning a marked type is gated."""

from __future__ import annotations

import dataclasses

from graphql import GraphQLObjectType, GraphQLSchema
from graphql.type import get_named_type

from hub.api.schema import schema_for
from hub.api.subjects import subject_of
from hub.contract.direct import DEFINITION
from hub.registry import installed_sectors


def _origin(graphql_type: GraphQLObjectType) -> type | None:
    definition = (graphql_type.extensions or {}).get(DEFINITION)
    return getattr(definition, "origin", None)


def reached_from_namespaces(schema: GraphQLSchema) -> dict[str, list[str]]:
    """Each object type reached from a sector namespace without passing through Person, with the
    path that first reached it."""
    person = schema.get_type("Person")
    assert isinstance(person, GraphQLObjectType)
    namespaces = {sector.field_name for sector in installed_sectors()}
    seen: dict[str, list[str]] = {}
    todo: list[tuple[GraphQLObjectType, list[str]]] = []
    for name in namespaces:
        target = get_named_type(person.fields[name].type)
        assert isinstance(target, GraphQLObjectType)
        todo.append((target, ["Person", name]))
    while todo:
        graphql_type, path = todo.pop()
        if graphql_type.name in seen or graphql_type.name == "Person":
            continue
        seen[graphql_type.name] = path
        for field_name, field in graphql_type.fields.items():
            target = get_named_type(field.type)
            if isinstance(target, GraphQLObjectType):
                todo.append((target, [*path, field_name]))
    return seen


def holders_of_another_person(schema: GraphQLSchema) -> dict[str, list[str]]:
    """Types below a namespace (not the namespace types themselves) whose objects carry a private
    `person_id`: by the contract's convention, whose data they are."""
    namespace_types = {sector.person_type for sector in installed_sectors()}
    found = {}
    for name, path in reached_from_namespaces(schema).items():
        graphql_type = schema.get_type(name)
        assert isinstance(graphql_type, GraphQLObjectType)
        origin = _origin(graphql_type)
        if origin is None or origin in namespace_types or not dataclasses.is_dataclass(origin):
            continue
        if "person_id" in {field.name for field in dataclasses.fields(origin)}:
            found[name] = path
    return found


def test_every_type_holding_another_persons_data_is_marked_with_whose() -> None:
    schema = schema_for(installed_sectors(), None)._schema
    holders = holders_of_another_person(schema)
    assert {"SponsoredPerson", "FamilyMember"} <= set(holders)  # the walk reaches the known ones
    unmarked = {
        name: path
        for name, path in holders.items()
        if subject_of(schema.get_type(name)) is None  # type: ignore[arg-type]
    }
    assert unmarked == {}, f"types carrying another person's data without of_person: {unmarked}"


def test_every_field_returning_a_marked_type_opens_that_persons_gate() -> None:
    for subgraph in (None, *(sector.name for sector in installed_sectors())):
        schema = schema_for(installed_sectors(), subgraph)._schema
        for graphql_type in schema.type_map.values():
            if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
                continue
            for field_name, field in graphql_type.fields.items():
                target = get_named_type(field.type)
                if isinstance(target, GraphQLObjectType) and subject_of(target) is not None:
                    assert getattr(field.resolve, "rabt_subject", None) == subject_of(target), (
                        f"{subgraph or 'hub'}: {graphql_type.name}.{field_name} is not gated"
                    )
