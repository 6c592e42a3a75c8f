"""Fields resolved by graphql-core calling their function itself (`hub.contract.direct`)."""

from __future__ import annotations

import pytest
import strawberry
from graphql import graphql_sync

from hub.contract.direct import DIRECT, resolve_directly


def test_a_direct_field_is_called_with_graphql_cores_info() -> None:
    @strawberry.type
    class Query:
        @strawberry.field(metadata=DIRECT)
        def caller(self, info: strawberry.Info) -> str:
            return f"{type(info).__name__} for {info.context['who']}"

        @strawberry.field(metadata=DIRECT)
        def plain(self) -> int:
            return 7

        @strawberry.field
        def wrapped(self, info: strawberry.Info) -> str:
            return type(info).__name__

    schema = strawberry.Schema(query=Query)
    resolve_directly(schema._schema)
    result = graphql_sync(schema._schema, "{ caller plain wrapped }", context_value={"who": "me"})
    assert result.errors is None
    assert result.data == {"caller": "GraphQLResolveInfo for me", "plain": 7, "wrapped": "Info"}


def test_a_field_that_needs_strawberrys_wrapper_cannot_be_direct() -> None:
    @strawberry.type
    class Query:
        @strawberry.field(metadata=DIRECT)
        def greeting(self, name: str) -> str:
            return f"Hello {name}"

    with pytest.raises(TypeError, match=r"Query\.greeting"):
        resolve_directly(strawberry.Schema(query=Query)._schema)
