"""Fields graphql-core resolves by calling their function itself, without strawberry's wrapper.

strawberry wraps every resolver: per call it builds an `Info`, converts the arguments, and runs
the field's extension chain — eight Python calls before the resolver's own. For a field that
takes no arguments and carries no permission or extension, all of that does nothing; the
headline query has a dozen such fields (identity fields, sector namespaces, loaded records, Hijri
dates). A field opts in with `metadata=DIRECT` (`loaded()` fields always do), and `resolve_directly`
then hands graphql-core the field's function itself.

What such a function gets as `info` is graphql-core's `GraphQLResolveInfo`: the same `context`,
`field_nodes`, `fragments` and `path`, but none of strawberry's own (`selected_fields`,
`python_name`). It is called as `function(root, info)` (or `function(root)` when it takes no info)
and may return a value, an awaitable, or raise, as any graphql-core resolver may.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
"""The extension under which graphql-core's types and fields carry the strawberry definition."""

DIRECT_KEY = "rabt.direct"
DIRECT: Mapping[str, Any] = {DIRECT_KEY: True}
"""`metadata=DIRECT` on a strawberry field: graphql-core calls its function itself."""


def resolve_directly(schema: GraphQLSchema) -> None:
    """Gives every field of `schema` marked `DIRECT` its own function as graphql-core's resolver;
    refuses (TypeError, at start-up) a marked field strawberry's wrapper would do work for."""
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType):
            continue
        for name, graphql_field in named.fields.items():
            definition = strawberry_of(graphql_field)
            if definition is None or not definition.metadata.get(DIRECT_KEY):
                continue
            resolver = definition.base_resolver
            if resolver is None or definition.arguments or definition.permission_classes or definition.extensions:
                raise TypeError(f"{named.name}.{name}: only a resolver without arguments, permissions or extensions")
            function = resolver.wrapped_func
            if isinstance(function, staticmethod | classmethod):
                raise TypeError(f"{named.name}.{name}: a direct resolver is a function or a plain method")
            graphql_field.resolve = _called(function, f"{named.name}.{name}")


def strawberry_of(graphql_field: GraphQLField) -> StrawberryField | None:
    """The strawberry field a graphql-core field was built from (None for graphql-core's own)."""
    found = (graphql_field.extensions or {}).get(DEFINITION)
    return found if isinstance(found, StrawberryField) else None


def _called(function: Callable[..., Any], where: str) -> Callable[[Any, GraphQLResolveInfo[Any]], Any]:
    parameters = len(inspect.signature(function).parameters)
    if parameters == 2:  # (root or self, info)
        return function
    if parameters == 1:  # (root or self)
        return lambda root, _info: function(root)
    raise TypeError(f"{where}: a direct resolver takes (root) or (root, info)")
