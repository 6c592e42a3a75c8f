"""The relation passports knows: a sponsor stands over the residents on their iqamas and their visitors."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, union

from hub.contract import Reads, Relation, RelationSource
from sectors.passports.models import IqamaRow, VisaRow


async def sponsored_among(reads: Reads, viewer_id: str, subject_ids: Sequence[str]) -> set[str]:
    statement = union(
        select(IqamaRow.person_id).where(IqamaRow.sponsor_id == viewer_id, IqamaRow.person_id.in_(subject_ids)),
        select(VisaRow.person_id).where(
            VisaRow.sponsor_id == viewer_id, VisaRow.kind == "visit", VisaRow.person_id.in_(subject_ids)
        ),
    )
    return {row[0] for row in await reads.fetch(statement)}


SPONSOR = RelationSource(relation=Relation.SPONSOR, fetch=sponsored_among)
