"""The relations civil affairs decides, asked directly on the seeded database: a parent is guardian
until the child's 18th birthday (that day the child is an adult), a register's head stands over its
members from the day they were entered, and each answers only about the people asked about."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, update

from sectors.civil_affairs.models import BirthRow, DeathRow, FamilyMemberRow
from sectors.civil_affairs.relations import latest_adult_birth, minor_children_among, register_members_among
from tests.conftest import PERSONA, TODAY, Api
from tests.sectors.asking import change, days, kept

PARENT, CHILD = PERSONA["family_head"], PERSONA["minor_child"]


@pytest.mark.parametrize(
    ("today", "latest"),
    [
        (dt.date(2026, 3, 1), dt.date(2008, 3, 1)),
        (dt.date(2026, 1, 29), dt.date(2008, 1, 29)),
        (dt.date(2026, 2, 28), dt.date(2008, 2, 28)),
        (dt.date(2028, 2, 29), dt.date(2010, 2, 28)),  # 2010 has no 29 February
        (dt.date(2028, 3, 29), dt.date(2010, 3, 29)),
    ],
)
def test_the_latest_adult_birth_is_18_years_back(today: dt.date, latest: dt.date) -> None:
    assert latest_adult_birth(today) == latest


async def test_a_parent_is_guardian_until_the_childs_18th_birthday(api: Api) -> None:
    assert await minor_children_among(api.hub.db, PARENT, [CHILD], TODAY) == {CHILD}
    async with kept(api, CHILD, BirthRow):
        born = latest_adult_birth(TODAY)
        await change(api, update(BirthRow).where(BirthRow.person_id == CHILD).values(born_on=born))
        assert await minor_children_among(api.hub.db, PARENT, [CHILD], TODAY) == set(), "18 today"
        await change(api, update(BirthRow).where(BirthRow.person_id == CHILD).values(born_on=born + dt.timedelta(1)))
        assert await minor_children_among(api.hub.db, PARENT, [CHILD], TODAY) == {CHILD}
    assert await minor_children_among(api.hub.db, PARENT, [PERSONA["sponsor"]], TODAY) == set()


async def test_a_head_stands_over_a_member_from_the_day_they_were_entered(api: Api) -> None:
    members = await register_members_among(api.hub.db, PARENT, [CHILD, PERSONA["sponsor"]], TODAY)
    assert members == {CHILD}
    async with kept(api, CHILD, FamilyMemberRow):
        await change(api, update(FamilyMemberRow).where(FamilyMemberRow.person_id == CHILD).values(added_on=TODAY))
        assert await register_members_among(api.hub.db, PARENT, [CHILD], TODAY) == {CHILD}
        await change(api, update(FamilyMemberRow).where(FamilyMemberRow.person_id == CHILD).values(added_on=days(1)))
        assert await register_members_among(api.hub.db, PARENT, [CHILD], TODAY) == set()


async def test_a_head_stands_over_no_deceased_member(api: Api) -> None:
    async with kept(api, CHILD, DeathRow):
        died = insert(DeathRow).values(person_id=CHILD, died_on=days(-1), city_ar="الرياض", city_en="Riyadh")
        await change(api, died)
        assert await register_members_among(api.hub.db, PARENT, [CHILD], TODAY) == set()
