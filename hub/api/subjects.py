"""Every person is a subject: objects that hold another person's data pass that person's gate.

A sector marks such a type with `hub.contract.of_person`; here every field of the schema that
returns a marked type gets its resolver wrapped, so no sector has to remember to ask.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, default_field_resolver
from graphql.type import get_named_type

from hub.api.context import RequestContext
from hub.contract.context import SUBJECT
from hub.contract.direct import DEFINITION


def subject_of(graphql_type: GraphQLObjectType) -> tuple[str, str] | None:
    """(field group, attribute) when the type's objects are a person's own data, else None."""
    definition = (graphql_type.extensions or {}).get(DEFINITION)
    origin = getattr(definition, "origin", None)
    found = getattr(origin, SUBJECT, None)
    return found if isinstance(found, tuple) else None


def gate_subjects(schema: GraphQLSchema) -> list[str]:
    """Wraps the resolver of every field returning a marked type; returns the fields wrapped
    (`Type.field`), for the tests that walk the schema."""
    wrapped = []
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for name, field in named.fields.items():
            target = get_named_type(field.type)
            if not isinstance(target, GraphQLObjectType):
                continue
            subject = subject_of(target)
            if subject is not None:
                field.resolve = _gated(field, *subject)
                wrapped.append(f"{named.name}.{name}")
    return wrapped


def _gated(field: GraphQLField, group: str, key: str) -> Callable[..., Any]:
    resolve = field.resolve or default_field_resolver

    def resolver(root: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        return _admitted(resolve(root, info, **arguments), info, group, key)

    resolver.rabt_subject = (group, key)  # type: ignore[attr-defined]
    return resolver


async def _admitted(value: Any, info: GraphQLResolveInfo[Any], group: str, key: str) -> Any:
    if inspect.isawaitable(value):
        value = await value
    if value is None:
        return None
    context: RequestContext = info.context
    gate = context.gate
    fields = context.selected_fields(info)
    if isinstance(value, list):
        decisions = await gate.decide_all([(getattr(item, key), group) for item in value])
        kept = []
        for item, decision in zip(value, decisions, strict=True):
            if decision is not None:
                gate.open(getattr(item, key), group, decision, fields)
                kept.append(item)
        return kept
    subject = getattr(value, key)
    gate.open(subject, group, await gate.decide(subject, group), fields)
    return value
