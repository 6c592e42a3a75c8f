"""What a request may cost before it runs, and the caches that make repeated documents cheap.

The limits are checked by the HTTP layer on the parsed document and the request's variables
(so `people(ids: $ids)` counts the IDs actually sent), each refusal with its own code:

| limit | default | code |
|---|---|---|
| tokens in the document | 4,000 | TOO_MANY_TOKENS |
| depth of the selection | 12 | QUERY_TOO_DEEP |
| aliases | 30 | TOO_MANY_ALIASES |
| cost: 1 per field, times the size of every enclosing list | 25,000 | QUERY_TOO_COMPLEX |

A list's size is the number of IDs given to `people(ids:)`, or 10 for other lists (a person's
visas, violations, …). Introspection (`__schema`, `__type`) is not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    parse,
)
from graphql.error import GraphQLSyntaxError

from hub.api.inputs import check_literals
from hub.contract.errors import Code, RabtError

MAX_TOKENS = 4_000
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_COST = 25_000
DEFAULT_LIST_SIZE = 10


V = TypeVar("V")


class PerDocument(Generic[V]):
    """A bounded cache, first in first out, of what was computed for a parsed document against a
    schema, found by those very objects: hashing a DocumentNode walks its whole tree on every call.
    An entry keeps both and matches only them (`is`): an id alone can be reused once its object is
    freed. `rest` is the key's hashable remainder."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.entries: dict[tuple[int, int, Hashable], tuple[GraphQLSchema, DocumentNode, V]] = {}

    def get(self, schema: GraphQLSchema, document: DocumentNode, rest: Hashable, compute: Callable[[], V]) -> V:
        key = (id(schema), id(document), rest)
        found = self.entries.get(key)
        if found is not None and found[0] is schema and found[1] is document:
            return found[2]
        value = compute()
        if len(self.entries) >= self.capacity:
            del self.entries[next(iter(self.entries))]
        self.entries[key] = (schema, document, value)
        return value


@lru_cache(maxsize=1_000)
def parse_document(query: str) -> DocumentNode:
    """The parsed document (cached by text), or RabtError for a syntax error, too many tokens or a
    string that could not be stored as written (`hub.api.inputs`)."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError as error:
        if "tokens" in error.message:
            raise RabtError(Code.TOO_MANY_TOKENS, f"The document has more than {MAX_TOKENS} tokens.") from None
        raise
    check_literals(document)
    return document


@dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    aliases: int = 0
    depth: int = 0

    def cost(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, level: int) -> int:
        if selection_set is None:
            return 0
        self.depth = max(self.depth, level)
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, level)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.cost(selection.selection_set, inner, level)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.cost(fragment.selection_set, inner, level)
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None, level: int) -> int:
        name = node.name.value
        if node.alias is not None:
            self.aliases += 1
        if name.startswith("__"):
            return 0
        definition = parent.fields.get(name) if isinstance(parent, GraphQLObjectType) else None
        if definition is None:
            return 1  # validation will refuse the unknown field
        child_cost = self.cost(node.selection_set, get_named_type(definition.type), level + 1)
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            child_cost *= self._list_size(node)
        return 1 + child_cost

    def _list_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value == "ids":
                value = argument.value
                if isinstance(value, ListValueNode):
                    return max(1, len(value.values))
                if isinstance(value, VariableNode):
                    given = self.variables.get(value.name.value)
                    return max(1, len(given)) if isinstance(given, list) else 1
        return DEFAULT_LIST_SIZE


def check_limits(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    """Refuses a document over any limit; lets through what validation will judge (unknown names).
    Returns the operation's cost, which also weighs it against the work allowed in flight.

    A document that passed is remembered with the sizes of the list variables it was sent with
    (the only thing of the variables the walk reads): front ends send the same few documents, and
    walking the headline query again cost ~32 µs a request."""
    sizes = tuple((name, len(value)) for name, value in (variables or {}).items() if isinstance(value, list))
    return _PASSED.get(
        schema, document, (operation_name, sizes), lambda: _check(schema, document, operation_name, variables)
    )


_PASSED: PerDocument[int] = PerDocument(4_096)


def _check(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    highest = 0
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _Walk(schema, fragments, variables or {})
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        if operation_name is not None and (operation.name is None or operation.name.value != operation_name):
            continue
        root = schema.get_root_type(operation.operation)
        cost = walk.cost(operation.selection_set, root, 1)
        if walk.depth > MAX_DEPTH:
            raise RabtError(Code.QUERY_TOO_DEEP, f"The selection is {walk.depth} levels deep; at most {MAX_DEPTH}.")
        if walk.aliases > MAX_ALIASES:
            raise RabtError(Code.TOO_MANY_ALIASES, f"{walk.aliases} aliases; at most {MAX_ALIASES}.")
        if cost > MAX_COST:
            raise RabtError(Code.QUERY_TOO_COMPLEX, f"The query would cost {cost:,}; at most {MAX_COST:,}.", cost=cost)
        highest = max(highest, cost)
    return highest
