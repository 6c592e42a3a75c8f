"""What every sector promises, checked over the registry: a deterministic seed that fills its
tables, migrations that make exactly its tables, and one SQL statement per declared loader
whatever the number of people."""

from __future__ import annotations

import dataclasses

import pytest
from graphql import GraphQLObjectType, get_named_type
from sqlalchemy import select

from hub.contract import Code, RabtError, Sector, insert_new
from hub.contract.loading import LOADS
from hub.contract.principal import Principal, Role
from hub.data.db import Database
from hub.identity.models import PersonRow
from hub.migrations import components, differences, upgrade
from hub.registry import installed_sectors
from sectors.civil_defence.models import IncidentReportRow
from tests.conftest import Api
from tests.sectors.seeding import seeded_rows

SECTORS = installed_sectors()
EVERY_SCOPE = Principal(
    Role.SERVICE, client="contract-test", scopes=frozenset({"identity", *(sector.name for sector in SECTORS)})
)


@pytest.mark.parametrize("sector", SECTORS, ids=[sector.name for sector in SECTORS])
async def test_the_seed_is_deterministic_and_fills_every_table(sector: Sector) -> None:
    first, again, other = [await seeded_rows(sector, 2_000, seed) for seed in ("a", "a", "b")]
    assert first == again
    assert first != other
    assert all(first.get(table.name) for table in sector.metadata.sorted_tables)


@pytest.mark.parametrize("sector", SECTORS, ids=[sector.name for sector in SECTORS])
async def test_its_migrations_make_exactly_its_tables(sector: Sector, empty_url: str) -> None:
    with pytest.raises(ValueError, match=f"sector '{sector.name}': its tables need migrations"):
        dataclasses.replace(sector, migrations=None)
    own = [component for component in components([sector]) if component.name == sector.name]
    await upgrade(empty_url, own)
    db = Database(empty_url)
    try:
        async with db.read_engine.connect() as connection:
            assert await connection.run_sync(differences, own[0], own) == []
    finally:
        await db.dispose()


def _namespace_query(api: Api, sector: Sector) -> tuple[str, int]:
    """Every declared (loaded) field of the sector's namespace with its scalar leaves, and how many
    distinct declarations they use."""
    namespace = api.hub.schema._schema.get_type(sector.person_type.__strawberry_definition__.name)
    assert isinstance(namespace, GraphQLObjectType)
    names = api.hub.schema.config.name_converter
    declared = {
        names.get_graphql_name(field): field.metadata[LOADS][0]
        for field in sector.person_type.__strawberry_definition__.fields
        if LOADS in field.metadata
    }
    selections = []
    for name, field in namespace.fields.items():
        if name not in declared:
            continue
        leaves = [
            leaf
            for leaf, definition in get_named_type(field.type).fields.items()
            if not isinstance(get_named_type(definition.type), GraphQLObjectType) and not definition.args
        ]
        selections.append(f"{name} {{ {' '.join(leaves)} }}")
    query = f"query($ids: [ID!]!) {{ people(ids: $ids) {{ id {sector.field_name} {{ {' '.join(selections)} }} }} }}"
    return query, len({id(loads) for loads in declared.values()})


@pytest.mark.parametrize("sector", SECTORS, ids=[sector.name for sector in SECTORS])
async def test_one_statement_per_declared_loader_whatever_the_number_of_people(api: Api, sector: Sector) -> None:
    query, declarations = _namespace_query(api, sector)
    ids = [row[0] for row in await api.hub.db.fetch(select(PersonRow.id).order_by(PersonRow.id).limit(50))]
    counted = []
    for size in (1, 50):
        counter = api.count_statements()
        try:
            result = await api.query(query, {"ids": ids[:size]}, as_=EVERY_SCOPE)
        finally:
            api.stop_counting(counter)
        assert "errors" not in result, result["errors"]
        counted.append(sum(f"{sector.name}_" in statement for statement in counter.statements))
    assert counted == [declarations, declarations]


async def test_a_new_key_is_drawn_again_while_it_is_taken(api: Api) -> None:
    """`insert_new` never overwrites or fails on an identifier already issued: a random draw that
    meets one is drawn again, and a run of draws that only meets taken ones is refused, with
    nothing written."""
    async with api.hub.db.transaction() as session:
        existing = (await session.execute(select(IncidentReportRow).limit(1))).scalar_one()
        taken = existing.reference
        values = {
            "person_id": existing.person_id,
            "kind": "FIRE",
            "city": "Riyadh",
            "district": "Al Olaya",
            "description": "contract test",
            "reported_on": existing.reported_on,
            "status": "open",
        }
        draws = iter([taken, taken, "CD-20261201-00000000"])
        written = await insert_new(session, IncidentReportRow, values, "reference", lambda: next(draws))
        assert written == {**values, "reference": "CD-20261201-00000000"}
        with pytest.raises(RabtError) as refused:
            await insert_new(session, IncidentReportRow, values, "reference", lambda: taken)
        assert refused.value.code is Code.INTERNAL_ERROR
        same = select(IncidentReportRow.description).where(IncidentReportRow.reference == taken)
        assert (await session.execute(same)).all() == [(existing.description,)]  # the issued one untouched
        await session.rollback()
