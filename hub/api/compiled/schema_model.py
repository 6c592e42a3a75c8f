"""What the planner reads of a strawberry schema, once: the root fields it can answer, Person's
identity fields and sector namespaces, and the functions of CalendarDate's Hijri fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, get_named_type
from strawberry.federation.schema import Schema as FederationSchema
from strawberry.types.field import StrawberryField

from hub.api import people as identity_queries
from hub.api.compiled.plan import ENTITIES, PEOPLE, PERSON, Unplannable
from hub.contract import Sector
from hub.contract.direct import DEFINITION, strawberry_of
from hub.contract.values import CalendarDate
from hub.identity.loaders import person_by_id
from hub.identity.types import PersonCore


@dataclass(frozen=True)
class Namespace:
    sector: str
    type: GraphQLObjectType


class SchemaModel:
    """Which fields of a strawberry schema the planner knows how to answer without resolvers."""

    def __init__(self, schema: GraphQLSchema, sectors: Sequence[Sector]) -> None:
        self.schema = schema
        self.query = schema.query_type
        self.roots: dict[str, str] = {}
        if self.query is not None:
            for name, definition in self.query.fields.items():
                resolver = resolver_of(definition)
                if resolver is identity_queries.person:
                    self.roots[name] = PERSON
                elif resolver is identity_queries.people:
                    self.roots[name] = PEOPLE
                elif getattr(resolver, "__func__", None) is FederationSchema.entities_resolver:
                    self.roots[name] = ENTITIES
        person = schema.get_type("Person")
        if not isinstance(person, GraphQLObjectType):
            raise Unplannable("no Person type")
        self.person = person
        if ENTITIES in self.roots.values() and not _references_by_id(person):
            self.roots = {name: kind for name, kind in self.roots.items() if kind != ENTITIES}
        core = {f.python_name: f for f in PersonCore.__strawberry_definition__.fields}  # type: ignore[attr-defined]
        self.identity: dict[str, str] = {}  # GraphQL name -> python name of PersonCore's resolvers
        self.namespaces: dict[str, Namespace] = {}
        by_python = {f"_sector_{sector.name}": sector for sector in sectors}
        for name, definition in person.fields.items():
            strawberry_field = strawberry_of(definition)
            if strawberry_field is None:
                continue
            python = strawberry_field.python_name
            if python in _IDENTITY and python in core and _same_resolver(strawberry_field, core[python]):
                self.identity[name] = python
            elif python == "id" and strawberry_field.base_resolver is None:
                self.identity[name] = "id"
            elif python in by_python and _is_namespace_resolver(strawberry_field):
                sector = by_python[python]
                target = get_named_type(definition.type)
                if isinstance(target, GraphQLObjectType) and origin_of(target) is sector.person_type:
                    self.namespaces[name] = Namespace(sector.name, target)
        self.calendar_hijri, self.calendar_hijri_text = (
            next(f.base_resolver.wrapped_func for f in _fields(CalendarDate) if f.python_name == name)  # type: ignore[union-attr]
            for name in ("hijri", "hijri_text")
        )
        identity_columns = person_by_id.columns
        self.identity_position = {name: identity_columns.index(name) + 1 for name in identity_columns}


_IDENTITY = {"kind", "name_ar", "name_en", "name", "sex", "born_on", "nationality", "mobile"}
"""PersonCore's resolvers, each `identity_of(...)` then one column (or two, for `name`)."""


def _references_by_id(person: GraphQLObjectType) -> bool:
    """Whether `_entities` makes each Person as `PersonCore.resolve_reference` does: from the ID
    alone, opening no gate."""
    made_by = getattr(origin_of(person), "resolve_reference", None)
    return getattr(made_by, "__func__", None) is PersonCore.resolve_reference.__func__  # type: ignore[attr-defined]


def resolver_of(definition: GraphQLField) -> Any:
    strawberry_field = strawberry_of(definition)
    if strawberry_field is None or strawberry_field.base_resolver is None:
        return None
    return strawberry_field.base_resolver.wrapped_func


def _same_resolver(a: StrawberryField, b: StrawberryField) -> bool:
    return (
        a.base_resolver is not None
        and b.base_resolver is not None
        and a.base_resolver.wrapped_func is b.base_resolver.wrapped_func
        and not a.permission_classes
        and not a.extensions
    )


def _is_namespace_resolver(strawberry_field: StrawberryField) -> bool:
    resolver = strawberry_field.base_resolver
    return (
        resolver is not None
        and getattr(resolver.wrapped_func, "__module__", None) == "hub.api.person"
        and not strawberry_field.permission_classes
        and not strawberry_field.extensions
    )


def origin_of(type_: GraphQLObjectType) -> Any:
    definition = (type_.extensions or {}).get(DEFINITION)
    return getattr(definition, "origin", None)


def _fields(cls: type[Any]) -> list[StrawberryField]:
    return list(cls.__strawberry_definition__.fields)
