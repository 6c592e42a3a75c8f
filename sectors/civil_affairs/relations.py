"""The relations civil affairs knows: a parent is guardian of their minor children (by the birth
records); the head of a family register stands over its living members' entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select

from hub.contract import Reads, Relation, RelationSource
from sectors.civil_affairs.models import BirthRow, DeathRow, FamilyMemberRow, FamilyRegisterRow

ADULT_AGE = 18


def latest_adult_birth(today: dt.date) -> dt.date:
    """The last birth date of someone who is 18 on `today`: anyone born later is a minor."""
    if today.month == 2 and today.day == 29:  # 18 years back is never a leap year
        today = today.replace(day=28)
    return today.replace(year=today.year - ADULT_AGE)


async def minor_children_among(reads: Reads, viewer_id: str, subject_ids: Sequence[str], today: dt.date) -> set[str]:
    statement = select(BirthRow.person_id).where(
        BirthRow.person_id.in_(subject_ids),
        or_(BirthRow.father_id == viewer_id, BirthRow.mother_id == viewer_id),
        BirthRow.born_on > latest_adult_birth(today),
    )
    return {row[0] for row in await reads.fetch(statement)}


_BIRTHS = BirthRow.__table__.c
GUARDIAN = RelationSource(
    relation=Relation.GUARDIAN,
    fetch=minor_children_among,
    reads=(_BIRTHS.person_id, _BIRTHS.father_id, _BIRTHS.mother_id, _BIRTHS.born_on),
)


async def register_members_among(reads: Reads, viewer_id: str, subject_ids: Sequence[str], today: dt.date) -> set[str]:
    statement = (
        select(FamilyMemberRow.person_id)
        .join(FamilyRegisterRow, FamilyRegisterRow.number == FamilyMemberRow.register_number)
        .where(
            FamilyRegisterRow.head_id == viewer_id,
            FamilyMemberRow.person_id.in_(subject_ids),
            FamilyMemberRow.added_on <= today,
            FamilyMemberRow.person_id.not_in(select(DeathRow.person_id)),
        )
    )
    return {row[0] for row in await reads.fetch(statement)}


_MEMBERS, _REGISTERS = FamilyMemberRow.__table__.c, FamilyRegisterRow.__table__.c
FAMILY_HEAD = RelationSource(
    relation=Relation.FAMILY_HEAD,
    fetch=register_members_among,
    reads=(
        _MEMBERS.person_id,
        _MEMBERS.register_number,
        _MEMBERS.added_on,
        _REGISTERS.number,
        _REGISTERS.head_id,
        DeathRow.__table__.c.person_id,
    ),
)
