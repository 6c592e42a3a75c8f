"""A plan: what a persisted operation's answer needs and how it nests, read once by the planner
(`hub.api.compiled.planner`) and run per request by the executor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import FieldNode, GraphQLField

from hub.api.compiled.objects import Builder, Loaded
from hub.contract.loading import Loads
from hub.contract.values import Language


class Unplannable(Exception):
    """The operation takes the general path; `reason` is short and stable (it names counters)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NamespacePlan:
    """`person { passports { … } }`: one access check per (person, sector), then loaded fields.
    `build(person_id, args, grouped)` is the namespace's object from the loaders' grouped rows."""

    key: str
    sector: str
    node: FieldNode
    audit_fields: frozenset[str]  # what `RequestContext.selected_fields` notes for this field
    loaded: tuple[Loaded, ...]
    build: Builder


@dataclass(frozen=True)
class PersonPlan:
    identity_fields: frozenset[str]  # the identity fields read (one audit note each, as `identity_of` makes)
    namespaces: tuple[NamespacePlan, ...]  # `extra[1:]` of `build`; `extra[0]` is the person's ID
    build: Builder  # over the identity row (`person_by_id`)


PERSON, PEOPLE, ENTITIES, TYPENAME = "person", "people", "_entities", "__typename"
"""Root fields a plan answers; ENTITIES is a subgraph's `_entities(representations:)`, whose persons
are named by the gateway (no identity gate: `PersonCore.resolve_reference` opens none)."""


@dataclass(frozen=True)
class RootField:
    kind: str  # PERSON, PEOPLE, ENTITIES or TYPENAME
    key: str
    node: FieldNode | None = None
    definition: GraphQLField | None = None
    person: PersonPlan | None = None
    value: Any = None  # TYPENAME: the root type's name; ENTITIES: Person's


@dataclass(frozen=True)
class Slot:
    """A field argument the builders read (`language:`), resolved once per request."""

    definition: GraphQLField
    node: FieldNode
    fixed: Any = None  # the value, when the argument uses no variable
    variable: bool = False


@dataclass(frozen=True)
class Plan:
    roots: tuple[RootField, ...]
    loads: tuple[Loads[Any, Any], ...]  # each distinct loader once, in first-use order
    loads_sector: tuple[str, ...]  # the sector whose access check guards each loader's rows
    slots: tuple[Slot, ...]
    sectors: tuple[str, ...] = field(default=())  # sectors checked at all


def language_argument(values: Mapping[str, Any]) -> Language:
    """The `language` argument as strawberry hands it to the resolver (a Language member)."""
    value = values.get("language", Language.EN)
    if isinstance(value, Language):
        return value
    try:
        return Language(value)
    except ValueError:
        raise Unplannable("language argument") from None
