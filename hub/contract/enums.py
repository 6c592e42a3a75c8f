"""A GraphQL enum whose every value says what it means.

`strawberry.enum_value(..., description=...)` as a member's value would describe one, but the
member is then created with that `EnumValueDefinition` as its value until strawberry unwraps it: a
`StrEnum` refuses it ("is not a string"), and an enum a table's column stores should not change
for GraphQL's sake. `described_enum` leaves the Python enum as it is: it registers the enum with
strawberry, then sets each value's description on strawberry's definition of it, from which
strawberry builds graphql-core's schema (introspection) and prints the SDL."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import TypeVar

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition

E = TypeVar("E", bound=type[enum.Enum])


def described_enum(description: str, values: Mapping[str, str], *, name: str | None = None) -> Callable[[E], E]:
    """`@described_enum(description, {"MEMBER": "What it means.", ...})` on an enum class, or
    `described_enum(...)(an_enum)` for one defined elsewhere (a table's): the GraphQL enum `name`
    (the class's name by default). `values` describes every member by name, and nothing else."""

    def register(cls: E) -> E:
        members = [member.name for member in cls]
        undescribed = [member for member in members if not values.get(member)]
        unknown = sorted(set(values) - set(members))
        if undescribed or unknown:
            raise ValueError(f"{cls.__name__}: undescribed {undescribed}, not members {unknown}")
        strawberry.enum(cls, name=name, description=description)
        # strawberry lists the values in the members' order, aliases left out, as iterating the enum does.
        for member, value in zip(members, _definition(cls).values, strict=True):
            value.description = values[member]
        return cls

    return register


def _definition(cls: type[enum.Enum]) -> StrawberryEnumDefinition:
    if has_enum_definition(cls):
        return cls.__strawberry_definition__
    raise TypeError(f"{cls.__name__} is not a strawberry enum")
