"""The general path's execution: a parsed document, validated once, run by graphql-core over the
strawberry schema's resolvers.

The endpoint has already parsed the document (`hub.api.limits.parse_document`, cached by text) to
check its limits, so it hands that node straight to graphql-core instead of calling
`strawberry.Schema.execute`. That call parses and validates again (through the `ParserCache` and
validation-cache extensions the schema had until 2026-12), and builds per request an execution
context, the extensions' runner and their context managers: 6 % of a headline request's
instructions (callgrind, 16 concurrent: 3,860,000 before, 3,654,000 after). Resolvers still get
their `info.context` as under `Schema.execute`: strawberry's resolvers (its `Info`) and
strawberry's execution context class, which `FieldsInTurn` extends to await an object's fields
one after another instead of in tasks; fields marked `hub.contract.direct.DIRECT` get graphql-core's info.

graphql-core also answers what `Schema.execute` raised on: an ambiguous or unknown operation name
is a request error here, where strawberry's `CannotGetOperationTypeError` was a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeGuard

from graphql import DocumentNode, ExecutionResult, GraphQLError, GraphQLObjectType, GraphQLSchema, specified_rules
from graphql import execute as graphql_execute
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from graphql.validation.rules import overlapping_fields_can_be_merged
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document

from hub.api.limits import PerDocument
from hub.contract import Code

if TYPE_CHECKING:
    from hub.api.schema import RabtSchema

RULES = tuple(specified_rules)  # as strawberry's ExecutionContext has them; it adds its own two

# How much comparing of fields the rule that fields can be merged may do before validation gives
# up ("Validation aborted.", GRAPHQL_VALIDATION_FAILED). graphql-core's default, 500,000, let a
# 10 kB document of 990 repeated `me { id }` take 0.8 s of the worker; the shipped operations and
# GraphiQL's introspection query each need less than 10. The rule reads it when it starts.
VALIDATION_BUDGET = 20_000
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = VALIDATION_BUDGET


def validate(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    """The document's validation errors, under graphql-core's and strawberry's rules, worked out
    once per parsed document. Keyed by the node itself (`PerDocument`): `parse_document` hands back
    the same node for the same text, and hashing a DocumentNode walks its whole tree (~300 Python
    calls of the headline query's 4,100, cProfile)."""
    return _VALIDATED.get(schema, document, RULES, lambda: _coded(validate_document(schema, document, RULES)))


def _coded(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Validation errors carry their code from here: some read like a variable's value refused
    ("Variable '$id' is never used."), which the error formatter would take for BAD_USER_INPUT."""
    for error in errors:
        error.extensions = {**(error.extensions or {}), "code": Code.GRAPHQL_VALIDATION_FAILED.value}
    return errors


_VALIDATED: PerDocument[list[GraphQLError]] = PerDocument(1_000)


def _is_awaitable(value: Any) -> TypeGuard[Awaitable[Any]]:
    """strawberry's faster check, as the type guard graphql-core's `execute` takes."""
    return optimized_is_awaitable(value)


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
        executor_class=FieldsInTurn,
        is_awaitable=_is_awaitable,
    )
    return result if isinstance(result, ExecutionResult) else await result


class FieldsInTurn(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, but for how it waits on an object's fields below the root.

    graphql-core resolves every field of a selection, then waits on those that returned an
    awaitable together: a task each, and a gather (`gather_with_cancel`). Here they are awaited one
    after another instead. Nothing waits longer for it: the fields' reads were queued when their
    resolvers were called (`hub.contract.loading.loaded` returns the loader's future), before any wait, and
    the request's reads go through one connection in turn anyway (`hub.data.request_reads.RequestReads`); the
    items of a list are still awaited together (a task each), so that each loader gets one batch
    for all of them. The tasks and gathers were 8 % of a headline request's instructions
    (callgrind, 16 concurrent: 3,046,000 with them, 2,794,000 without).

    The root's fields keep graphql-core's gather: a root field's resolver does its reads itself
    (an access decision, then the person), and `a: person(…) b: person(…)` must share batches.

    An error that nulls the object stops the wait: the fields not yet awaited settle in the
    background, as graphql-core has them do when a field fails before it waits at all. Their errors
    are dropped (their position is nulled); what they read is still audited, as a cancelled task
    of graphql-core's had been audited for what it read before the cancel.
    """

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        if path is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        waiting: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list in grouped_field_set.items():
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        waiting.append(response_name)
        except Exception:
            if waiting:  # as graphql-core does: the awaitables already made still settle
                self.settle_in_background([results[name] for name in waiting])
            raise
        if not waiting:
            return results
        return self._in_turn(results, waiting)

    async def _in_turn(self, results: dict[str, Any], waiting: list[str]) -> dict[str, Any]:
        for index, name in enumerate(waiting):
            try:
                results[name] = await results[name]
            except Exception:
                # As graphql-core does when a field fails before the wait: the rest still settle.
                self.settle_in_background([results[unrun] for unrun in waiting[index + 1 :]])
                raise
        return results
