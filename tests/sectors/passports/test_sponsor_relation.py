"""The sponsor relation as passports decides it (`sponsored_among`), asked directly on the seeded
database: an iqama that names the viewer from the day it was issued, a visit visa that names them
as host on every day it is in force and on no other, and only about the people asked about."""

from __future__ import annotations

from sqlalchemy import delete, insert, text, update

from sectors.passports.models import IqamaRow, VisaRow
from sectors.passports.relations import sponsored_among
from tests.conftest import PERSONA, TODAY, Api
from tests.sectors.asking import change, days, kept

VISITOR, HOST = PERSONA["visitor"], PERSONA["sponsor"]


async def _sponsor_of_two(api: Api) -> tuple[str, str, str]:
    async with api.hub.db.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT a.sponsor_id, a.person_id, b.person_id FROM passports_iqamas a "
                    "JOIN passports_iqamas b ON b.sponsor_id = a.sponsor_id AND b.person_id > a.person_id "
                    "WHERE a.status <> 'cancelled' AND b.status <> 'cancelled' AND a.sponsor_id LIKE '1%' "
                    "ORDER BY a.sponsor_id, a.person_id, b.person_id LIMIT 1"
                )
            )
        ).one()
    return row[0], row[1], row[2]


async def test_only_the_people_asked_about_are_answered(api: Api) -> None:
    sponsor, first, second = await _sponsor_of_two(api)
    assert await sponsored_among(api.hub.db, sponsor, [first], TODAY) == {first}
    assert await sponsored_among(api.hub.db, sponsor, [first, second], TODAY) == {first, second}


async def test_an_iqama_binds_its_sponsor_from_the_day_it_was_issued(api: Api) -> None:
    sponsor, worker, _ = await _sponsor_of_two(api)
    async with kept(api, worker, IqamaRow):
        await change(api, update(IqamaRow).where(IqamaRow.person_id == worker).values(issued_on=days(1)))
        assert await sponsored_among(api.hub.db, sponsor, [worker], TODAY) == set()
        await change(api, update(IqamaRow).where(IqamaRow.person_id == worker).values(issued_on=TODAY))
        assert await sponsored_among(api.hub.db, sponsor, [worker], TODAY) == {worker}
        await change(api, update(IqamaRow).where(IqamaRow.person_id == worker).values(status="cancelled"))
        assert await sponsored_among(api.hub.db, sponsor, [worker], TODAY) == set()


def _visit(number: str, **changes: object) -> object:
    values = dict(
        number=number,
        person_id=VISITOR,
        sponsor_id=HOST,
        kind="visit",
        status="issued",
        issued_on=days(-30),
        valid_from=days(-10),
        valid_until=days(10),
        allowed_days=30,
    )
    return insert(VisaRow).values({**values, **changes})


async def _hosted(api: Api, *visas: object, viewer: str = HOST, asked: str = VISITOR) -> bool:
    """Whether the viewer stands over the person asked about; never over anyone else."""
    async with kept(api, VISITOR, VisaRow):
        await change(api, delete(VisaRow).where(VisaRow.person_id == VISITOR), *visas)
        found = await sponsored_among(api.hub.db, viewer, [asked], TODAY)
    assert found <= {asked}, found
    return found == {asked}


async def test_a_visit_visa_binds_its_host_on_each_day_it_is_in_force(api: Api) -> None:
    assert await _hosted(api, _visit("7700000001"))
    assert await _hosted(api, _visit("7700000002", valid_from=TODAY))
    assert await _hosted(api, _visit("7700000003", valid_until=TODAY))
    assert not await _hosted(api, _visit("7700000004", valid_from=days(1)))
    assert not await _hosted(api, _visit("7700000005", valid_until=days(-1)))


async def test_a_visa_binds_no_one_but_its_host_while_it_is_an_issued_visit_visa(api: Api) -> None:
    assert not await _hosted(api, _visit("7700000011", status="used"))
    assert not await _hosted(api, _visit("7700000012", kind="exit_reentry_single"))
    assert not await _hosted(api, _visit("7700000013"), viewer=PERSONA["family_head"])
    # Asked about someone else, the visitor's visa answers nothing.
    other = PERSONA["minor_child"]
    assert not await _hosted(api, _visit("7700000014"), asked=other)
