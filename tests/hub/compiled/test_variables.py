"""The compiled path's variable coercion gives exactly what graphql-core's gives, taking its own
short cut only where graphql-core would hand the input back unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import OperationDefinitionNode, get_variable_values, parse
from graphql.execution.values import VariableValues

from hub.api.compiled.variables import Variables
from hub.api.schema import schema_for
from hub.registry import installed_sectors

SCHEMA = schema_for(installed_sectors(), None)._schema

PLAIN = "query($id: ID!, $ids: [ID!]!, $maybe: ID, $name: String) { __typename }"
NOT_PLAIN = [
    "query($ids: [ID]!) { __typename }",  # nullable items
    'query($id: ID = "2010000020") { __typename }',  # a default
    "query($n: Int) { __typename }",  # a scalar that converts
    "query($on: Boolean!) { __typename }",
]


def definitions(query: str) -> Any:
    operation = parse(query).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.variable_definitions


@pytest.mark.parametrize(
    "inputs",
    [
        {"id": "2010000020", "ids": ["2010000020", "1000000008", "2010000020"], "maybe": "x", "name": "n"},
        {"id": "2010000020", "ids": [], "maybe": "x", "name": ""},
        {"id": 2010000020, "ids": ["1"], "maybe": "x", "name": "n"},  # a number for an ID: converted
        {"id": "1", "ids": "1", "maybe": "x", "name": "n"},  # one value for a list: wrapped
        {"id": "1", "ids": ["1", None], "maybe": "x", "name": "n"},  # a null item: an error
        {"id": "1", "ids": ["1"], "maybe": None, "name": "n"},  # an explicit null
        {"id": "1", "ids": ["1"]},  # nullable variables left out
        {"ids": ["1"], "maybe": "x", "name": "n"},  # a required one left out: an error
        {"id": "1", "ids": [["1"]], "maybe": "x", "name": "n"},  # nested too deep for the type
        {"id": "1", "ids": ["1"], "maybe": "x", "name": "n", "unknown": {"a": 1}},  # extra: ignored
    ],
)
def test_the_same_values_or_errors_as_graphql_core(inputs: dict[str, Any]) -> None:
    nodes = definitions(PLAIN)
    ours, theirs = Variables(SCHEMA, nodes).coerce(inputs), get_variable_values(SCHEMA, nodes, inputs)
    if isinstance(theirs, list):
        assert isinstance(ours, list) and [e.formatted for e in ours] == [e.formatted for e in theirs]
    else:
        assert not isinstance(ours, list) and canonical(ours) == canonical(theirs)


def canonical(values: VariableValues) -> Any:
    """Signatures and wrapping types compare by identity, and graphql-core makes new ones each call."""
    sources = {
        name: (s.signature.name, str(s.signature.type), s.signature.default, s.value)
        for name, s in values.sources.items()
    }
    return sources, values.coerced


def test_the_short_cut_is_taken_for_strings_and_lists_of_strings() -> None:
    inputs = {"id": "2010000020", "ids": ["2010000020"], "maybe": "x", "name": "n"}
    coerced = Variables(SCHEMA, definitions(PLAIN)).coerce(inputs)
    assert not isinstance(coerced, list)
    assert coerced.coerced == inputs and coerced.coerced["ids"] is not inputs["ids"]  # a new list, as graphql-core's


@pytest.mark.parametrize("query", NOT_PLAIN)
def test_other_definitions_always_go_to_graphql_core(query: str) -> None:
    assert Variables(SCHEMA, definitions(query))._plain is None
