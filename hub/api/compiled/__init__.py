"""The compiled path: repeated operations answered from a plan, byte for byte as the general path.

`hub.web.http.GraphQLEndpoint` offers each persisted request (an APQ hash or a trusted document) to
`CompiledPath.answer` first, and a plain-text document once it has been seen `plan_text_after`
times (the way Mercurius's `jit` option counts, so a document sent once is never planned; a
subgraph's `_entities` documents from the gateway are plain text too, one document per query plan
step with other `$representations` each time, so their plans are keyed by the document alone);
`None` means "take the general path", which is always correct. The
compiled path answers only when it is sure to produce exactly what strawberry and graphql-core
would: the same `data`, the same errors at the same paths, the same audit notes. What it does not
cover, or any surprise while running (a null where the schema says non-null, a database error),
sends the request down the general path; nothing has been written by then (the audit batch is
written by the endpoint, once, after an answer).

Caches, all bounded LRUs of `capacity` entries (RABT_PLAN_CACHE):
- sightings of plain-text documents, by the text's hash (a collision only plans a document
  early, which is always correct), so that the bound holds whatever texts clients send;
- documents, by text: the sha256, graphql-core validation (strawberry's rules), the operations;
- plans, by (document sha256, operation name, values of the @skip/@include variables).
  Access decisions are not in a plan: they depend on relations between the caller and each
  person (data), so the executor asks `Access.grant` on every request — the same calls, in the
  same batches, as the general path's resolvers. A plan is therefore valid for every caller.

`stats` counts what happened (`compiled`, `fallback: <reason>`) for tests and the benchmark.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
)
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import VariableValues

from hub.access.gate import Gate
from hub.access.policy import Access
from hub.api.answers import Answer, error_order, format_error
from hub.api.compiled.executor import execute
from hub.api.compiled.plan import Plan, Unplannable
from hub.api.compiled.planner import build_plan, switch_variables
from hub.api.compiled.schema_model import SchemaModel
from hub.api.compiled.variables import Variables
from hub.api.execution import validate
from hub.api.limits import CACHED_DOCUMENT
from hub.contract import RelationSource, Sector
from hub.contract.calendar import riyadh_today
from hub.contract.principal import Principal
from hub.contract.provenance import as_of_now
from hub.data.db import Database
from hub.data.row_source import RowSource
from hub.data.sectors import SectorRowSource, Stores

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["Answer", "CompiledPath", "Unplannable"]


class LRU(Generic[K, V]):
    """A bounded mapping that forgets the least recently used entry first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class _Operation:
    node: OperationDefinitionNode
    switches: tuple[str, ...]
    variables: Variables


@dataclass
class _Document:
    digest: str
    problem: str | None  # why no operation of it can be planned (validation errors, …)
    fragments: dict[str, FragmentDetails]
    operations: dict[str | None, _Operation | str]  # operation name -> operation, or why not


_NOT_BOOLEAN = object()


class CompiledPath:
    def __init__(
        self,
        schema: Any,
        db: Database,
        sources: Sequence[tuple[str, RelationSource]],
        sectors: Sequence[Sector],
        *,
        trusted_documents: bool = False,
        capacity: int = 1_000,
        plan_text_after: int = 3,
        today: Callable[[], dt.date] = riyadh_today,
        stores: Stores | None = None,
    ) -> None:
        self.graphql = schema._schema
        self.db = db
        self.stores = stores
        self.sources = sources
        self.trusted_documents = trusted_documents
        self.plan_text_after = plan_text_after
        self.sightings: LRU[int, int] = LRU(capacity)
        self.today = today
        try:
            self.model: SchemaModel | None = SchemaModel(self.graphql, sectors)
        except Unplannable:
            self.model = None  # a schema without Person: nothing to plan
        self.documents: LRU[str, _Document] = LRU(capacity)
        self.plans: LRU[tuple[Any, ...], Plan | Unplannable] = LRU(capacity)
        # The general path's loaders read through the same (the bench swaps it); sectors with a
        # database or a fault of their own are read each on theirs.
        self.rows: RowSource = SectorRowSource(stores) if stores is not None else db.rows
        self.stats: Counter[str] = Counter()

    def accepts(self, query: str, extensions: Mapping[str, Any] | None) -> bool:
        """Whether to offer this request a plan: a persisted document (every document in
        trusted-documents mode, otherwise one sent or registered by Apollo's `persistedQuery`
        hash), or a plain-text one already seen `plan_text_after` times; a document any caller
        may send only up to CACHED_DOCUMENT characters (its plan and text would be kept)."""
        if self.trusted_documents:
            return True  # the allow-list bounds what is kept, whatever its documents' length
        if len(query) > CACHED_DOCUMENT:
            return False
        if isinstance((extensions or {}).get("persistedQuery"), dict):
            return True
        if self.model is None:
            return False
        key = hash(query)
        seen = self.sightings.get(key) or 0
        if seen >= self.plan_text_after:
            return True
        self.sightings.put(key, seen + 1)
        return False

    async def answer(
        self,
        query: str,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        principal: Principal,
        request_id: str,
        read_at: dt.datetime | None = None,
    ) -> Answer | None:
        """The answer, or None when the general path must answer (nothing was written)."""
        try:
            plan, coerced = self.plan_for(query, document, variables, operation_name)
            gate = Gate(Access(principal, self.db, self.sources, self.today, stores=self.stores))
            try:
                data, errors = await execute(plan, coerced, gate, self.rows, read_at or as_of_now())
            except Unplannable:
                raise
            except Exception as error:  # a null in a non-null field, a database error, …
                raise Unplannable(f"while running: {type(error).__name__}") from error
        except Unplannable as step_aside:
            self.stats[f"fallback: {step_aside.reason}"] += 1
            return None
        body: dict[str, Any] = {}
        if errors:
            body["errors"] = sorted((format_error(error, request_id) for error in errors), key=error_order)
        body["data"] = data
        self.stats["compiled"] += 1
        return Answer(body, gate.forget())

    def plan_for(
        self,
        query: str,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> tuple[Plan, VariableValues]:
        """The plan for this request (cached) and its coerced variables, or Unplannable."""
        if self.model is None:
            raise Unplannable("schema without Person")
        known = self.documents.get(query)
        if known is None:
            known = self._document(query, document)
            self.documents.put(query, known)
        if known.problem is not None:
            raise Unplannable(known.problem)
        operation = known.operations.get(operation_name)
        if operation is None:
            operation = self._operation(document, operation_name)
            if len(known.operations) < 16:  # a client cannot grow a cached document by inventing names
                known.operations[operation_name] = operation
        if isinstance(operation, str):
            raise Unplannable(operation)
        coerced = operation.variables.coerce(variables or {})
        if isinstance(coerced, list):
            raise Unplannable("variables")
        switches = tuple(coerced.coerced.get(name, _NOT_BOOLEAN) for name in operation.switches)
        if any(not isinstance(value, bool) for value in switches):
            raise Unplannable("@skip/@include value")
        key = (known.digest, operation_name, switches)
        plan = self.plans.get(key)
        if plan is None:
            try:
                plan = build_plan(self.model, operation.node, known.fragments, coerced)
            except Unplannable as unplannable:
                plan = unplannable
            self.plans.put(key, plan)
        if isinstance(plan, Unplannable):
            raise plan
        return plan, coerced

    def _document(self, query: str, document: DocumentNode) -> _Document:
        digest = hashlib.sha256(query.encode()).hexdigest()
        errors = validate(self.graphql, document)
        fragments: dict[str, FragmentDetails] = {}
        problem = "validation" if errors else None
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                if definition.variable_definitions:
                    problem = problem or "fragment variables"
                fragments[definition.name.value] = FragmentDetails(definition, None)
        return _Document(digest, problem, fragments, {})

    def _operation(self, document: DocumentNode, operation_name: str | None) -> _Operation | str:
        # graphql-core's choice of the operation (Executor.build).
        operation: OperationDefinitionNode | None = None
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                if operation_name is None:
                    if operation is not None:
                        return "several operations, none named"
                    operation = definition
                elif definition.name and definition.name.value == operation_name:
                    operation = definition
        if operation is None:
            return "no such operation"
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        variables = Variables(self.graphql, operation.variable_definitions or ())
        return _Operation(operation, switch_variables(operation, fragments), variables)
