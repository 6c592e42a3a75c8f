"""The relation civil affairs knows: a parent is guardian of their minor children, by the birth records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select

from hub.contract import Reads, Relation, RelationSource
from sectors.civil_affairs.models import BirthRow

ADULT_AGE = 18


def latest_adult_birth(today: dt.date) -> dt.date:
    """The last birth date of someone who is 18 on `today`: anyone born later is a minor."""
    if today.month == 2 and today.day == 29:  # 18 years back is never a leap year
        today = today.replace(day=28)
    return today.replace(year=today.year - ADULT_AGE)


async def minor_children_among(reads: Reads, viewer_id: str, subject_ids: Sequence[str]) -> set[str]:
    # Today's date is taken per call, never once at start-up: a child comes of age while the hub runs.
    statement = select(BirthRow.person_id).where(
        BirthRow.person_id.in_(subject_ids),
        or_(BirthRow.father_id == viewer_id, BirthRow.mother_id == viewer_id),
        BirthRow.born_on > latest_adult_birth(dt.date.today()),
    )
    return {row[0] for row in await reads.fetch(statement)}


GUARDIAN = RelationSource(relation=Relation.GUARDIAN, fetch=minor_children_among)
