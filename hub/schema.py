"""Composition: one strawberry schema from the hub's fields and the enabled sectors' fields.

The same `Person` class serves every shape; a schema exposes only the fields of the sectors it
serves (`get_fields`), so the in-process hub and each federation subgraph come from one source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.federation import Schema as FederationSchema
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from hub.contract import Sector
from hub.errors import Code
from hub.identity import queries as identity_queries
from hub.person import Person

FEDERATION_VERSION = "2.9"  # both Apollo's and The Guild's composers accept it; strawberry defaults newer

Extensions = Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]]


def _object(name: str, fields: Mapping[str, StrawberryField], description: str) -> type[Any]:
    if not fields:
        raise ValueError(f"{name} needs at least one field")
    cls = type(name, (), {**fields, "__module__": __name__})
    return strawberry.type(cls, name=name, description=description)


def _merge(groups: Iterable[tuple[str, Mapping[str, StrawberryField]]]) -> dict[str, StrawberryField]:
    # strawberry keys fields by Python name and silently keeps one of two alike: refuse instead.
    merged: dict[str, StrawberryField] = {}
    for owner, fields in groups:
        for name, field in fields.items():
            if name in merged:
                raise ValueError(f"root field {name!r} of {owner} is defined twice")
            merged[name] = field
    return merged


class RabtSchema(FederationSchema):
    """A schema that shows only its own sectors' namespace fields on `Person` and keeps the
    logs free of expected errors (refusals, bad input), logging only the unexpected."""

    def __init__(self, *, person_fields: frozenset[str], **options: Any) -> None:
        self._person_fields = person_fields
        super().__init__(**options)

    def get_fields(self, type_definition: StrawberryObjectDefinition) -> list[StrawberryField]:
        if type_definition.name == "Person":
            return [field for field in type_definition.fields if field.python_name in self._person_fields]
        return type_definition.fields

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [
            error for error in errors
            if error.original_error is not None and not isinstance(error.original_error, GraphQLError)
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def _core_person_fields() -> set[str]:
    return {field.python_name for field in Person.__strawberry_definition__.fields if not field.python_name.startswith("_sector_")}


def build_schema(
    sectors: Sequence[Sector],
    *,
    extensions: Extensions = (),
    extra_query: Mapping[str, StrawberryField] | None = None,
    extra_mutation: Mapping[str, StrawberryField] | None = None,
) -> RabtSchema:
    """The in-process hub: identity, every enabled sector, and the hub's own root fields."""
    query = _merge(
        [("identity", identity_queries.fields()), ("hub", extra_query or {})]
        + [(sector.name, sector.query_fields()) for sector in sectors]
    )
    mutation = _merge([("hub", extra_mutation or {})] + [(sector.name, sector.mutation_fields()) for sector in sectors])
    return RabtSchema(
        person_fields=frozenset(_core_person_fields() | {f"_sector_{sector.name}" for sector in sectors}),
        query=_object("Query", query, "Read Rabt: people and their records across sectors."),
        mutation=_object("Mutation", mutation, "Change Rabt: every mutation is atomic.") if mutation else None,
        extensions=extensions,
        federation_version=FEDERATION_VERSION,  # type: ignore[arg-type]
    )


def error_code_of(error: GraphQLError) -> str:
    return str((error.extensions or {}).get("code") or Code.INTERNAL_ERROR.value)
