"""The general path's execution: a parsed document, validated once, run by graphql-core over the
strawberry schema's resolvers.

The endpoint has already parsed the document (`hub.limits.parse_document`, cached by text) to
check its limits, so it hands that node straight to graphql-core instead of calling
`strawberry.Schema.execute`. That call parses and validates again (through the `ParserCache` and
validation-cache extensions the schema had until 2026-12), and builds per request an execution
context, the extensions' runner and their context managers: 6 % of a headline request's
instructions (callgrind, 16 concurrent: 3,860,000 before, 3,654,000 after). Resolvers still get
strawberry's `Info` and their `info.context`: those come from the schema's own resolvers and
execution context class, which this passes as strawberry does.

graphql-core also answers what `Schema.execute` raised on: an ambiguous or unknown operation name
is a request error here, where strawberry's `CannotGetOperationTypeError` was a 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema, specified_rules
from graphql import execute as graphql_execute
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import validate_document

from hub.limits import PerDocument

if TYPE_CHECKING:
    from hub.schema import RabtSchema

RULES = tuple(specified_rules)  # as strawberry's ExecutionContext has them; it adds its own two


def validate(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    """The document's validation errors, under graphql-core's and strawberry's rules, worked out
    once per parsed document. Keyed by the node itself (`PerDocument`): `parse_document` hands back
    the same node for the same text, and hashing a DocumentNode walks its whole tree (~300 Python
    calls of the headline query's 4,100, cProfile)."""
    return _VALIDATED.get(schema, document, RULES, lambda: validate_document(schema, document, RULES))


_VALIDATED: PerDocument[list[GraphQLError]] = PerDocument(1_000)


async def execute(
    schema: RabtSchema,
    document: DocumentNode,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: Any,
) -> ExecutionResult:
    """The operation's result: validation errors alone (no `data`) when the document does not
    validate; graphql-core's request errors (an unknown or ambiguous operation name, bad variables)
    alone; otherwise `data` and the field errors."""
    errors = validate(schema._schema, document)
    if errors:
        return ExecutionResult(None, errors)
    result = graphql_execute(
        schema._schema,
        document,
        context_value=context,
        variable_values=variables,
        operation_name=operation_name,
        executor_class=schema.execution_context_class,
        is_awaitable=optimized_is_awaitable,
    )
    return await result if optimized_is_awaitable(result) else result  # type: ignore[misc,return-value]
