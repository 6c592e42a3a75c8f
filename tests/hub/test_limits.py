"""Small documents, bounded work: what runs before validation is linear in the document, a fragment
cycle is a validation error, and the validation's own comparing of fields has a budget."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    Visitor,
    get_introspection_query,
    parse,
    specified_rules,
    visit,
)
from graphql import validate as graphql_validate
from graphql.error import GraphQLSyntaxError
from graphql.validation.rules import overlapping_fields_can_be_merged

from hub.api.execution import VALIDATION_BUDGET, validate
from hub.api.limits import (
    CACHED_DOCUMENT,
    INTROSPECTION_COST,
    MAX_COST,
    MAX_DOCUMENT,
    PerDocument,
    Weigher,
    check_limits,
    parse_document,
)
from hub.api.persisted import PersistedQueries
from hub.api.schema import schema_for
from hub.contract.errors import RabtError
from hub.registry import enabled_sectors
from tests.conftest import PERSONA, Api, officer

PATHS = ["general", "compiled"]
SCHEMA = schema_for(enabled_sectors(None), None)._schema


def fan_out(levels: int, leaf: str = "me { person { id } }") -> str:
    """Each fragment spreads the next twice: `levels` fragments stand for 2^levels copies of `leaf`."""
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels))
    return f"query FanOut {{ ...F0 }} {fragments} fragment F{levels} on Query {{ {leaf} }}"


async def _post(api: Api, query: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    body: dict[str, Any] = {"query": query}
    if path == "compiled":
        body["extensions"] = {
            "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
        }
    response = await api.client.post(
        "/graphql", json=body, headers={**api.headers(officer("passports")), **(headers or {})}
    )
    return response.status_code, response.json(), response.headers


class _Selections(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def enter(self, node: Any, *_args: Any) -> None:
        if isinstance(node, FieldNode | InlineFragmentNode | FragmentSpreadNode):
            self.count += 1


def test_the_walk_before_validation_visits_each_selection_once_however_fragments_fan_out() -> None:
    schema = SCHEMA
    for levels in (1, 8, 20):
        document = parse_document(fan_out(levels))
        selections = _Selections()
        visit(document, selections)
        weigher = Weigher(schema, document, {})
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        weight = weigher.weigh(operation.selection_set, schema.query_type)
        assert weigher.steps == selections.count  # 2^20 copies of `me { person { id } }`, walked once
        assert weight.cost == 3 * 2**levels and weight.depth == 2  # the copies still count, each


@pytest.mark.parametrize("path", PATHS)
async def test_a_document_whose_fragments_fan_out_is_refused_as_too_complex(api: Api, path: str) -> None:
    status, answer, _ = await _post(api, fan_out(40), path)  # 1,737 bytes standing for 2^40 fields
    (error,) = answer["errors"]
    assert (status, error["extensions"]["code"]) == (200, "QUERY_TOO_COMPLEX")
    assert error["extensions"]["cost"] > MAX_COST and "data" not in answer


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "query",
    [
        "query Q { ...A } fragment A on Query { ...A }",
        "query Q { ...A } fragment A on Query { me { person { ...B } } } fragment B on Person { passports { ...C } } "
        "fragment C on PassportsOfPerson { sponsored { person { ...B } } }",
        "query Q { ...A ...A } fragment A on Query { __typename ...B } fragment B on Query { ... on Query { ...A } }",
    ],
)
async def test_a_fragment_spread_within_itself_is_a_validation_error_with_the_request_id(
    api: Api, path: str, query: str
) -> None:
    """It was a RecursionError: a 500, without the request id the client sent."""
    status, answer, headers = await _post(api, query, path, {"x-request-id": "cycle-1"})
    (error,) = answer["errors"]
    assert (status, error["extensions"]["code"]) == (200, "GRAPHQL_VALIDATION_FAILED")
    assert "within itself" in error["message"] and headers["x-request-id"] == "cycle-1"


@pytest.mark.parametrize("path", PATHS)
async def test_a_long_chain_of_fragments_is_answered_with_a_code(api: Api, path: str) -> None:
    """Fragments each spreading the next, 400 deep, without a level between them: nothing before
    validation recurses along the chain, and validation gives up on it without a stack overflow."""
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(400))
    status, answer, _ = await _post(
        api, f"query Chain {{ ...F0 }} {chain} fragment F400 on Query {{ __typename }}", path
    )
    assert (status, [e["extensions"]["code"] for e in answer["errors"]]) == (200, ["GRAPHQL_VALIDATION_FAILED"])
    nested = " ".join(f"fragment F{i} on Query {{ me {{ ...F{i + 1} }} }}" for i in range(200))
    status, answer, _ = await _post(
        api, f"query Nested {{ ...F0 }} {nested} fragment F200 on Query {{ __typename }}", path
    )
    assert (status, [e["extensions"]["code"] for e in answer["errors"]]) == (200, ["QUERY_TOO_DEEP"])


@pytest.mark.parametrize("path", PATHS)
async def test_comparing_repeated_fields_stops_at_the_validation_budget(api: Api, path: str) -> None:
    """graphql-core compares every pair of fields with the same name; its own budget let one 10 kB
    document take 0.8 s of the worker. This document is valid, and within graphql-core's budget."""
    query = "{ " + f'person(id: "{PERSONA["sponsor"]}") {{ id }} ' * 300 + "}"
    document = parse_document(query)
    schema = api.hub.schema._schema
    check_limits(schema, document, None, None)  # within the hub's own limits
    default = overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET
    try:
        overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = 500_000  # graphql-core's
        assert graphql_validate(schema, document, specified_rules) == []
    finally:
        overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = default
    assert default == VALIDATION_BUDGET
    assert [error.message for error in validate(schema, document)] == ["Validation aborted."]
    status, answer, _ = await _post(api, query, path)
    assert (status, [e["extensions"]["code"] for e in answer["errors"]]) == (200, ["GRAPHQL_VALIDATION_FAILED"])


def test_fragments_count_wherever_they_are_spread() -> None:
    """Aliases and depth through fragments count as if the fragment were written out."""
    schema = SCHEMA
    aliases = (
        "query { ...A ...A ...A } fragment A on Query { " + " ".join(f"a{i}: __typename" for i in range(11)) + " }"
    )
    with pytest.raises(Exception, match="33 aliases"):
        check_limits(schema, parse_document(aliases), None, None)
    levels = ["me", "person"] + ["passports", "sponsored", "person"] * 4
    deep = "query { ...A } fragment A on Query { " + " { ".join(levels) + " { id" + " }" * len(levels) + " }"
    with pytest.raises(Exception, match="15 levels deep"):
        check_limits(schema, parse_document(deep), None, None)


def _cost(
    query: str, variables: dict[str, Any] | None = None, operation: str | None = None, schema: Any = SCHEMA
) -> int:
    """The cost `check_limits` finds, on a document parsed afresh: neither its verdict nor
    `parse_document`'s node is remembered from an earlier run of the same text."""
    return check_limits(schema, parse(query), operation, variables)


def _refusal(query: str, variables: dict[str, Any] | None = None) -> tuple[str, str, Any]:
    with pytest.raises(RabtError) as raised:
        _cost(query, variables)
    return raised.value.extensions["code"], raised.value.message, raised.value.extensions.get("cost")


def test_the_cost_is_one_per_field_times_every_enclosing_lists_size() -> None:
    assert _cost("{ me { person { id } } }") == 3
    assert _cost('{ person(id: "1") { passports { visas { number } } } }') == 1 + 1 + 1 + 10 * 1
    assert _cost('{ people(ids: ["a", "b"]) { id nameEn } }') == 1 + 2 * 2
    assert _cost("{ people(ids: []) { id } }") == 1 + 1  # no ID still weighs as one
    ids = "query($ids: [ID!]!) { people(ids: $ids) { id } }"
    assert _cost(ids, {"ids": ["a", "b", "c"]}) == 1 + 3
    assert _cost(ids, {"ids": ["a"] * 5}) == 1 + 5  # the same document, remembered per list size
    assert _cost(ids, {"ids": []}) == 1 + 1
    assert _cost(ids, {"ids": "abcd"}) == 1 + 1  # not a list: one
    assert _cost(ids, {}) == 1 + 1


def test_an_introspection_field_costs_a_fifth_of_the_limit_and_its_aliases_count() -> None:
    assert _cost("{ __schema { types { name fields { name } } } }") == INTROSPECTION_COST
    assert _cost('{ __type(name: "Person") { name } __typename }') == INTROSPECTION_COST
    assert _cost("{ nowhere { at { all } } }") == 1
    five = "{ " + " ".join(f"s{i}: __schema {{ queryType {{ name }} }}" for i in range(5)) + " }"
    assert _cost(five) == 5 * INTROSPECTION_COST == MAX_COST
    assert _refusal(five.replace("s0:", "s0: __typename s5: __schema { queryType { name } } s6:"))[0] == (
        "QUERY_TOO_COMPLEX"
    )
    within = "{ __schema { " + " ".join(f"t{i}: types {{ name }}" for i in range(30)) + " } }"
    assert _cost(within) == INTROSPECTION_COST
    assert _refusal(within.replace("t0:", "t0: types { name } t30:")) == (
        "TOO_MANY_ALIASES",
        "31 aliases; at most 30.",
        None,
    )


@pytest.mark.parametrize("path", PATHS)
async def test_introspection_nests_its_lists_at_most_three_deep_and_graphiqls_query_passes(api: Api, path: str) -> None:
    """Each nested `fields` (or `interfaces`, `possibleTypes`, `inputFields`) multiplies the answer by
    the schema's size. GraphiQL's own introspection query stays within every limit."""
    deep = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    status, answer, _ = await _post(api, deep, path)
    refused = {(e["extensions"]["code"], e["message"]) for e in answer["errors"]}
    assert (status, refused) == (200, {("GRAPHQL_VALIDATION_FAILED", "Maximum introspection depth exceeded")})
    assert "data" not in answer
    status, answer, _ = await _post(api, get_introspection_query(descriptions=True), path)
    assert status == 200 and "errors" not in answer, answer.get("errors")
    assert {t["name"] for t in answer["data"]["__schema"]["types"]} >= {"Person", "Query"}


def test_fragments_weigh_as_if_written_out() -> None:
    assert _cost("{ ... on Query { me { person { id } } } }") == 3
    assert _cost("fragment P on Me { person { id } } { me { ...P } }") == 3  # defined before the operation
    # A union's member, named by the fragment: its list of blockers weighs 10 (a union has no fields of its own).
    refusal = "mutation { recordTrafficViolation(input: {}) { __typename ... on Refusal { blockers { code } } } }"
    assert _cost(refusal) == 1 + 1 + 10 * 1
    assert _cost("mutation { recordTrafficViolation(input: {}) { code } }") == 1 + 1
    assert _cost("{ ... { me { person { id } } } }") == 3
    assert _cost("{ me { ...P ...P } } fragment P on Me { person { id } }") == 1 + 2 + 2
    assert _cost("{ me { ...Missing } }") == 1  # validation refuses the unknown fragment


def test_a_document_is_weighed_against_the_schema_it_is_checked_with() -> None:
    document = parse_document('{ person(id: "1") { passports { visas { number } } } }')
    without_passports = schema_for(enabled_sectors(["traffic"]), None)._schema
    assert check_limits(SCHEMA, document, None, None) == 13
    assert check_limits(without_passports, document, None, None) == 2  # an unknown field: 1, nothing below it
    assert check_limits(SCHEMA, document, None, None) == 13


def test_only_the_named_operation_is_weighed_and_the_dearest_is_answered() -> None:
    document = (
        "query Dear { me { person { id } } } query Cheap { people(ids: []) { id } } "
        '{ person(id: "1") { passports { visas { number } } } }'
    )
    assert _cost(document, operation="Cheap") == 2
    assert _cost(document, operation="Dear") == 3
    assert _cost(document) == 13
    assert _cost(document, operation="Elsewhere") == 0


def test_each_limit_holds_at_its_edge_and_names_the_figures() -> None:
    levels = ["me", "person"] + ["passports", "sponsored", "person"] * 3  # with `id`: 12 levels
    deep = "{ " + " { ".join(levels) + " { id" + " }" * len(levels) + " }"
    assert _cost(deep) > 0
    deeper = "{ " + " { ".join([*levels, "passports"]) + " { id" + " }" * (len(levels) + 1) + " }"
    assert _refusal(deeper) == ("QUERY_TOO_DEEP", "The selection is 13 levels deep; at most 12.", None)
    assert _cost("{ " + " ".join(f"a{i}: me {{ id }}" for i in range(30)) + " }") == 60
    too_many = "{ " + " ".join(f"b{i}: __typename" for i in range(31)) + " }"
    assert _refusal(too_many) == ("TOO_MANY_ALIASES", "31 aliases; at most 30.", None)
    ids = "query($ids: [ID!]!) { people(ids: $ids) { id } }"
    assert _cost(ids, {"ids": ["a"] * (MAX_COST - 1)}) == MAX_COST
    assert _refusal(ids, {"ids": ["a"] * MAX_COST}) == (
        "QUERY_TOO_COMPLEX",
        "The query would cost 25,001; at most 25,000.",
        25_001,
    )


def test_a_cost_past_the_cap_is_said_without_its_digits() -> None:
    code, message, cost = _refusal(fan_out(45))
    assert (code, message, cost) == (
        "QUERY_TOO_COMPLEX",
        "The query would cost more than 999,999,999,999; at most 25,000.",
        10**12,
    )


def test_the_document_may_hold_four_thousand_tokens() -> None:
    assert _cost("{ " + "__typename " * 3998 + "}") == 0  # introspection: no cost
    with pytest.raises(RabtError) as raised:
        parse_document("{ " + "__typename " * 3999 + "}")
    assert (raised.value.extensions["code"], raised.value.message) == (
        "TOO_MANY_TOKENS",
        "The document has more than 4000 tokens.",
    )


def test_a_syntax_error_stays_graphqls_and_a_control_character_is_refused() -> None:
    with pytest.raises(GraphQLSyntaxError):
        parse_document("{ me { person ")
    with pytest.raises(RabtError) as raised:
        parse_document('{ person(id: "1\\u0001") { id } }')
    assert raised.value.extensions["code"] == "BAD_USER_INPUT"


def test_a_document_longer_than_its_tokens_need_is_refused_and_a_long_one_is_not_kept() -> None:
    # Few tokens, many characters: a name (or a comment) may be as long as the body.
    with pytest.raises(RabtError) as raised:
        parse_document("{ f" + "a" * MAX_DOCUMENT + " }")
    assert (raised.value.extensions["code"], raised.value.message) == (
        "REQUEST_TOO_LARGE",
        f"The document is longer than {MAX_DOCUMENT:,} characters.",
    )
    long = "{ f" + "a" * CACHED_DOCUMENT + " }"
    assert parse_document(long) is not parse_document(long)  # parsed anew each time, never held
    short = "{ f" + "a" * (CACHED_DOCUMENT - 10) + " }"
    assert parse_document(short) is parse_document(short)
    cache: PerDocument[int] = PerDocument(10)
    assert cache.get(SCHEMA, parse_document(long), None, lambda: 1) == 1
    assert cache.get(SCHEMA, parse_document(short), None, lambda: 2) == 2
    assert len(cache.entries) == 1  # the short one only


async def test_persisted_queries_hold_a_bounded_number_of_characters() -> None:
    persisted = PersistedQueries(capacity=1_000, characters=100_000)

    async def register(query: str) -> str | None:
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}
        return await persisted.resolve(query, extensions)

    # Registered by anyone, valid or not: the oldest go once the characters are spent.
    for index in range(20):
        assert await register(f"# {index}\n" + "x" * 20_000) is not None
    documents, characters = persisted.held
    assert characters <= 100_000
    assert documents == 4
    # A document the hub refuses to run (over MAX_DOCUMENT) is not kept at all.
    huge = "#" + "x" * MAX_DOCUMENT
    assert await register(huge) == huge
    assert persisted.held == (documents, characters)


def test_the_per_document_cache_keeps_the_newest_entries_up_to_its_capacity() -> None:
    cache: PerDocument[int] = PerDocument(2)
    documents = [parse_document(f"{{ a{i}: __typename }}") for i in range(3)]
    computed: list[int] = []

    def get(index: int) -> int:
        def compute() -> int:
            computed.append(index)
            return index

        return cache.get(SCHEMA, documents[index], None, compute)

    assert [get(0), get(1), get(0), get(2), get(1), get(0)] == [0, 1, 0, 2, 1, 0]
    assert computed == [0, 1, 2, 0]  # 0 was the oldest when 2 came
    assert len(cache.entries) == 2
    other = GraphQLSchema()  # the same document against another schema is another entry
    assert cache.get(other, documents[0], None, lambda: -1) == -1
    assert cache.get(other, documents[0], None, lambda: -2) == -1
    assert cache.get(SCHEMA, documents[0], None, lambda: -3) == 0
