"""What the planner covers, what sends an operation down the general path, and why."""

from __future__ import annotations

import pytest

from hub.api.compiled import CompiledPath, Unplannable
from hub.api.compiled.plan import ENTITIES, PEOPLE, PERSON
from hub.api.limits import parse_document
from hub.api.operations import shipped_operations
from hub.api.schema import schema_for
from hub.data.db import Database
from hub.identity.loaders import person_by_id
from hub.registry import installed_sectors

OPERATIONS = {op.name: op.document for op in shipped_operations()}


@pytest.fixture(scope="module")
def compiled() -> CompiledPath:
    sectors = installed_sectors()
    return CompiledPath(schema_for(sectors, None), Database("sqlite+aiosqlite:///:memory:"), (), sectors)


def plan(compiled: CompiledPath, query: str, variables: dict | None = None, operation: str | None = None):  # type: ignore[no-untyped-def,type-arg]
    return compiled.plan_for(query, parse_document(query), variables or {}, operation)[0]


def reason(compiled: CompiledPath, query: str, variables: dict | None = None, operation: str | None = None) -> str:  # type: ignore[type-arg]
    with pytest.raises(Unplannable) as refused:
        plan(compiled, query, variables, operation)
    return refused.value.reason


def test_the_headline_query_is_planned_as_one_statement_per_loader(compiled: CompiledPath) -> None:
    headline = plan(compiled, OPERATIONS["PersonStatus"], {"id": "2010000020"})

    (root,) = headline.roots
    assert (root.kind, root.key) == (PERSON, "person")
    assert [loads.table.name for loads in headline.loads] == [
        "passports_iqamas",
        "passports_visas",
        "passports_absconding_reports",
        "traffic_accident_reports",
        "civil_defence_incident_reports",
    ]
    assert person_by_id not in headline.loads  # the identity rows are always read, first
    person = root.person
    assert person is not None
    assert person.identity_fields == {"nameEn", "nameAr", "kind"}  # `id` is not a read of the registry
    assert [(n.key, n.sector, sorted(n.audit_fields)) for n in person.namespaces] == [
        ("passports", "passports", ["abscondingReports", "iqama", "visas"]),
        ("traffic", "traffic", ["accidentReports"]),
        ("civilDefence", "civil_defence", ["incidentReports"]),
    ]


def test_people_fragments_aliases_and_typename_are_planned(compiled: CompiledPath) -> None:
    query = """query($ids: [ID!]!) {
      __typename
      who: people(ids: $ids) { __typename ...Names p: passports { ... on PassportsOfPerson { v: visas { kind } } } }
    }
    fragment Names on Person { nameEn n: name(language: AR) born: bornOn { hijriText(language: AR) __typename } }"""
    planned = plan(compiled, query, {"ids": []})
    assert [(root.kind, root.key) for root in planned.roots] == [("__typename", "__typename"), (PEOPLE, "who")]
    person = planned.roots[1].person
    assert person is not None
    assert person.identity_fields == {"nameEn", "name", "bornOn"}
    assert person.namespaces[0].audit_fields == {"visas"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('mutation { issueExitReentryVisa(input: {personId: "1", kind: SINGLE, days: 1}) { __typename } }', "mutation"),
        ("{ me { __typename } }", "root field: me"),
        ("{ statistics { __typename } }", "root field: statistics"),
        ("{ __schema { queryType { name } } }", "root field: __schema"),
        (
            '{ person(id: "1010000014") { passports { sponsored { iqama { number } } } } }',
            "PassportsOfPerson.sponsored",
        ),
        ('{ person(id: "1010000014") { passports { iqama { sponsor { id } } } } }', "Iqama.sponsor"),
        ('{ person(id: "1010000014") { traffic { vehicles { plate { text } } } } }', "Vehicle.plate"),
        ('{ person(id: "1010000014") { civilAffairs { familyRegister { number } } } }', "familyRegister"),
        ('{ person(id: "1010000014") { passports { iqama { number } } passports { visas { number } } } }', "merging"),
        ('{ person(id: "1010000014") { id } person(id: "1010000014") { nameEn } }', "merging"),
        ('{ person(id: "1010000014") { bornOn { hijri } bornOn { gregorian } } }', "merging"),
        ("{ person(id: 1) { shoeSize } }", "validation"),
    ],
)
def test_what_takes_the_general_path(compiled: CompiledPath, query: str, expected: str) -> None:
    assert expected in reason(compiled, query)


def test_leaf_fields_selected_twice_are_planned(compiled: CompiledPath) -> None:
    twice = plan(compiled, '{ person(id: "1010000014") { id id nameEn passports { iqama { number number } } } }')
    once = plan(compiled, '{ person(id: "1010000014") { id nameEn passports { iqama { number } } } }')
    assert [loads.table.name for loads in twice.loads] == ["passports_iqamas"]
    assert twice.loads == once.loads and twice.loads_sector == once.loads_sector
    (root,) = twice.roots
    assert root.person is not None and root.person.identity_fields == {"nameEn"}


def test_an_operation_must_be_named_when_the_document_has_several(compiled: CompiledPath) -> None:
    query = "query A { __typename } query B { __typename }"
    assert reason(compiled, query) == "several operations, none named"
    assert reason(compiled, query, operation="C") == "no such operation"
    assert plan(compiled, query, operation="B").roots[0].value == "Query"


def test_variables_that_do_not_coerce_take_the_general_path(compiled: CompiledPath) -> None:
    assert reason(compiled, OPERATIONS["PeopleStatus"], {"ids": {"not": "a list"}}) == "variables"


def test_a_plan_is_cached_by_document_operation_and_skip_include_values(compiled: CompiledPath) -> None:
    query = "query($s: Boolean!, $id: ID!) { person(id: $id) { nameEn @skip(if: $s) passports { iqama { number } } } }"
    shown = plan(compiled, query, {"s": False, "id": "1010000014"})
    assert plan(compiled, query, {"s": False, "id": "2010000020"}) is shown  # other IDs: the same plan
    skipped = plan(compiled, query, {"s": True, "id": "1010000014"})
    assert skipped is not shown
    assert shown.roots[0].person.identity_fields == {"nameEn"}  # type: ignore[union-attr]
    assert skipped.roots[0].person.identity_fields == frozenset()  # type: ignore[union-attr]


def test_a_namespace_notes_its_skipped_fields_too_as_the_general_path_does(compiled: CompiledPath) -> None:
    # RequestContext.selected_fields walks the selection without applying @skip/@include.
    query = 'query { person(id: "1010000014") { passports { iqama @skip(if: true) { number } visas { number } } } }'
    (namespace,) = plan(compiled, query).roots[0].person.namespaces  # type: ignore[union-attr]
    assert namespace.audit_fields == {"iqama", "visas"}
    assert [loaded.loads_index for loaded in namespace.loaded] == [0]  # but only visas are read


def test_a_null_skip_value_takes_the_general_path(compiled: CompiledPath) -> None:
    query = "query($s: Boolean = true) { person(id: 1) { nameEn @skip(if: $s) } }"
    assert reason(compiled, query, {"s": None}) == "@skip/@include value"


def test_the_plan_cache_is_bounded() -> None:
    sectors = installed_sectors()
    small = CompiledPath(schema_for(sectors, None), Database("sqlite+aiosqlite:///:memory:"), (), sectors, capacity=2)
    for index in range(5):
        plan(small, f'{{ person(id: "1010000014") {{ a{index}: id }} }}')
    assert len(small.plans) == 2
    assert len(small.documents) == 2


def test_a_subgraph_plans_the_gateways_entities_by_document_and_not_their_identity_fields() -> None:
    sectors = installed_sectors()
    subgraph = schema_for(sectors, "traffic")  # no person/people roots: Person comes as an entity
    compiled = CompiledPath(subgraph, Database("sqlite+aiosqlite:///:memory:"), (), sectors)
    assert reason(compiled, "{ _service { sdl } }") == "root field: _service"
    entities = """query($representations: [_Any!]!) {
      _entities(representations: $representations) { __typename ... on Person { traffic { vehicles { make } } } }
    }"""
    one = [{"__typename": "Person", "id": "1010000014"}]
    planned = plan(compiled, entities, {"representations": one})
    (root,) = planned.roots
    assert (root.kind, root.value) == (ENTITIES, "Person")
    assert root.person is not None and [n.sector for n in root.person.namespaces] == ["traffic"]
    assert [loads.table.name for loads in planned.loads] == ["traffic_vehicles"]
    assert plan(compiled, entities, {"representations": one * 3}) is planned  # keyed by document, not values
    assert plan(compiled, "{ __typename }").roots[0].value == "Query"

    identity = CompiledPath(schema_for(sectors, "identity"), Database("sqlite+aiosqlite:///:memory:"), (), sectors)
    names = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { id nameEn } } }"
    assert reason(identity, names, {"r": one}) == "identity fields of an entity"


def test_the_builders_are_plain_functions_over_a_row(compiled: CompiledPath) -> None:
    headline = plan(compiled, OPERATIONS["PersonStatus"], {"id": "2010000020"})
    iqama = headline.roots[0].person.namespaces[0].loaded[0]  # type: ignore[union-attr]
    source = iqama.build.__source__  # type: ignore[attr-defined]
    assert "'number'" in source and "'expiresOn'" in source
