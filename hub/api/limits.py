"""What a request may cost before it runs, and the caches that make repeated documents cheap.

The limits are checked by the HTTP layer on the parsed document and the request's variables
(so `people(ids: $ids)` counts the IDs actually sent), each refusal with its own code:

| limit | default | code |
|---|---|---|
| tokens in the document | 4,000 | TOO_MANY_TOKENS |
| depth of the selection | 12 | QUERY_TOO_DEEP |
| aliases | 30 | TOO_MANY_ALIASES |
| cost: 1 per field, times the size of every enclosing list | 25,000 | QUERY_TOO_COMPLEX |
| characters in the document | 100,000 | REQUEST_TOO_LARGE |

A list's size is the number of IDs given to `people(ids:)`, or 10 for other lists (a person's
visas, violations, …). An introspection field (`__schema`, `__type`) costs 5,000, whatever it
selects, so a document asks at most five (GraphiQL's introspection query asks one); below it only
aliases are counted, and validation bounds how deeply its lists nest (graphql-core's
MaxIntrospectionDepthRule, one of its specified rules). A fragment counts wherever it is spread.

This runs before validation, on any document a client sends, so its work is linear in the
document: each named fragment is weighed once and its weight reused at every spread (a document
of a few hundred bytes whose fragments each spread the next twice stands for 2^n fields), and a
fragment spread within itself is refused as validation would refuse it.

The caches of what was worked out for a document (its parse, its limits, its validation: each a
few thousand entries) keep only documents of up to CACHED_DOCUMENT characters: a document's text is
not bounded by its tokens (a name or a comment may be as long as the body), and one kept entry of a
1 MB document held ~3 MB (the text, the parsed names, the validation error quoting them), so
anonymous requests could make a worker hold gigabytes. A longer document is worked out anew on
each request, in time linear in its length.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionNode,
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
INTROSPECTION_COST = 5_000
INTROSPECTION = {"__schema": "__Schema", "__type": "__Type"}  # a root's introspection fields, and their types
CAP = 10**12  # weights stop growing here: a fan-out document's would have hundreds of digits
MAX_DOCUMENT = 100_000
"""Characters in a document at most: 4,000 tokens of the longest realistic names and strings fit."""
CACHED_DOCUMENT = 8_192
"""The longest document (in characters) whose parse, limits and validation are kept for the next
request: the shipped operations are under 1,000, GraphiQL's introspection query under 2,000."""


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
        if document_length(document) > CACHED_DOCUMENT:
            return value  # not kept: see CACHED_DOCUMENT
        if len(self.entries) >= self.capacity:
            del self.entries[next(iter(self.entries))]
        self.entries[key] = (schema, document, value)
        return value


def document_length(document: DocumentNode) -> int:
    """The characters of the text a document was parsed from (0 when it carries no location)."""
    return len(document.loc.source.body) if document.loc is not None else 0


def parse_document(query: str) -> DocumentNode:
    """The parsed document (cached by text up to CACHED_DOCUMENT characters), or RabtError for a
    document over MAX_DOCUMENT characters, a syntax error, too many tokens or a string that could
    not be stored as written (`hub.api.inputs`)."""
    if len(query) > MAX_DOCUMENT:
        raise RabtError(Code.REQUEST_TOO_LARGE, f"The document is longer than {MAX_DOCUMENT:,} characters.")
    return _parsed(query) if len(query) <= CACHED_DOCUMENT else _parse(query)


@lru_cache(maxsize=1_000)
def _parsed(query: str) -> DocumentNode:
    return _parse(query)


def _parse(query: str) -> DocumentNode:
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError as error:
        if "tokens" in error.message:
            raise RabtError(Code.TOO_MANY_TOKENS, f"The document has more than {MAX_TOKENS} tokens.") from None
        raise
    check_literals(document)
    return document


@dataclass(frozen=True)
class Weight:
    """What a selection set weighs, below the level it sits at: its cost (1 per field, times the
    size of every enclosing list within it), how many levels of selections it nests, and its
    aliases (counted once per place they are spread into)."""

    cost: int = 0
    depth: int = 0
    aliases: int = 0


@dataclass
class _Frame:
    """A selection set being weighed, and how its weight folds into the one that encloses it: as a
    field's (`multiplier` the field's list size), or as an inline fragment's or a named fragment's
    (`fragment` its name, remembered once weighed)."""

    selections: Iterator[SelectionNode]
    parent: GraphQLNamedType | None
    multiplier: int | None = None  # None: not a field's selection set
    fragment: str | None = None
    introspection: bool = False  # below `__schema` or `__type`: only its aliases count further up
    cost: int = 0
    depth: int = 0
    aliases: int = 0

    def add(self, weight: Weight, multiplier: int | None) -> None:
        if multiplier is None:  # a fragment: its fields sit at this level
            self.cost = _capped(self.cost + weight.cost)
            self.depth = max(self.depth, weight.depth)
        else:
            self.cost = _capped(self.cost + 1 + weight.cost * multiplier)
            self.depth = max(self.depth, 1 + weight.depth)
        self.aliases = _capped(self.aliases + weight.aliases)


class Weigher:
    """Weighs a document's selections without recursion, each named fragment once: a spread adds
    the weight its fragment was found to have, so the work is linear in the document however its
    fragments fan out (`steps` counts the selections visited). A fragment spread within itself is
    refused as validation would refuse it."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.weighed: dict[str, Weight] = {}
        self.steps = 0

    def weigh(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> Weight:
        stack = [_Frame(iter(selection_set.selections), parent)]
        weighing: set[str] = set()  # the fragments on the stack: spreading one of them again is a cycle
        while True:
            frame = stack[-1]
            selection = next(frame.selections, None)
            if selection is None:
                stack.pop()
                weight = Weight(frame.cost, frame.depth, frame.aliases)
                if frame.fragment is not None:
                    self.weighed[frame.fragment] = weight
                    weighing.discard(frame.fragment)
                if not stack:
                    return weight
                if frame.introspection:
                    stack[-1].aliases = _capped(stack[-1].aliases + weight.aliases)
                else:
                    stack[-1].add(weight, frame.multiplier)
                continue
            self.steps += 1
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    frame.aliases += 1
                child = self._field(selection, frame)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else frame.parent
                child = _Frame(iter(selection.selection_set.selections), inner)
            elif isinstance(selection, FragmentSpreadNode):
                child = self._spread(selection, frame, weighing)
            else:
                continue
            if child is not None:
                stack.append(child)

    def _field(self, node: FieldNode, frame: _Frame) -> _Frame | None:
        name = node.name.value
        if name.startswith("__"):
            meta = INTROSPECTION.get(name)
            if meta is None or node.selection_set is None:
                return None  # `__typename`: a name, no cost
            frame.cost = _capped(frame.cost + INTROSPECTION_COST)
            return _Frame(iter(node.selection_set.selections), self.schema.get_type(meta), introspection=True)
        parent = frame.parent
        definition = parent.fields.get(name) if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)) else None
        if definition is None or node.selection_set is None:
            frame.cost = _capped(frame.cost + 1)  # an unknown field costs 1: validation will refuse it
            return None
        multiplier = self._list_size(node) if isinstance(get_nullable_type(definition.type), GraphQLList) else 1
        return _Frame(iter(node.selection_set.selections), get_named_type(definition.type), multiplier)

    def _spread(self, node: FragmentSpreadNode, frame: _Frame, weighing: set[str]) -> _Frame | None:
        name = node.name.value
        known = self.weighed.get(name)
        if known is not None:
            frame.add(known, None)
            return None
        if name in weighing:
            raise RabtError(Code.GRAPHQL_VALIDATION_FAILED, f"Cannot spread fragment '{name}' within itself.")
        fragment = self.fragments.get(name)
        if fragment is None:
            return None  # validation will refuse the unknown fragment
        weighing.add(name)
        inner = self.schema.get_type(fragment.type_condition.name.value)
        return _Frame(iter(fragment.selection_set.selections), inner, fragment=name)

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


def _capped(value: int) -> int:
    return min(value, CAP)


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
    weigher = Weigher(schema, document, variables or {})
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        if operation_name is not None and (operation.name is None or operation.name.value != operation_name):
            continue
        weight = weigher.weigh(operation.selection_set, schema.get_root_type(operation.operation))
        depth, cost = 1 + weight.depth, weight.cost
        if depth > MAX_DEPTH:
            raise RabtError(Code.QUERY_TOO_DEEP, f"The selection is {depth} levels deep; at most {MAX_DEPTH}.")
        if weight.aliases > MAX_ALIASES:
            raise RabtError(Code.TOO_MANY_ALIASES, f"{weight.aliases:,} aliases; at most {MAX_ALIASES}.")
        if cost > MAX_COST:
            raise RabtError(
                Code.QUERY_TOO_COMPLEX, f"The query would cost {_number(cost)}; at most {MAX_COST:,}.", cost=cost
            )
        highest = max(highest, cost)
    return highest


def _number(value: int) -> str:
    return f"more than {CAP - 1:,}" if value >= CAP else f"{value:,}"
