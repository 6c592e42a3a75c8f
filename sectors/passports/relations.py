"""The relations passports knows. A sponsor stands over the residents whose iqama names them, and over
the visitors whose visit visa, in force today, names them as host.

An iqama binds the sponsor it names until it is cancelled (final exit), expired or not, since the
sponsor stays answerable for renewing it; a transfer of sponsorship names the new sponsor on the
iqama, so the former one loses access at once. A visit visa outside its dates, or no longer
issued, grants nothing.

An establishment sponsors as a person does, under its unified number; its authorised users act for
it while their authorisation is active, from the day it was granted (`AUTHORISED_USER`): revoked,
it grants nothing, whatever the establishment's workers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, union

from hub.contract import Reads, Relation, RelationSource
from sectors.passports.models import EstablishmentUserRow, IqamaRow, VisaRow


async def sponsored_among(reads: Reads, viewer_id: str, subject_ids: Sequence[str], today: dt.date) -> set[str]:
    statement = union(
        select(IqamaRow.person_id).where(
            IqamaRow.sponsor_id == viewer_id,
            IqamaRow.person_id.in_(subject_ids),
            IqamaRow.status != "cancelled",
            IqamaRow.issued_on <= today,
        ),
        select(VisaRow.person_id).where(
            VisaRow.sponsor_id == viewer_id,
            VisaRow.kind == "visit",
            VisaRow.person_id.in_(subject_ids),
            VisaRow.status == "issued",
            VisaRow.valid_from <= today,
            VisaRow.valid_until >= today,
        ),
    )
    return {row[0] for row in await reads.fetch(statement)}


_IQAMAS, _VISAS = IqamaRow.__table__.c, VisaRow.__table__.c
SPONSOR = RelationSource(
    relation=Relation.SPONSOR,
    fetch=sponsored_among,
    reads=(
        _IQAMAS.person_id,
        _IQAMAS.sponsor_id,
        _IQAMAS.status,
        _IQAMAS.issued_on,
        _VISAS.person_id,
        _VISAS.sponsor_id,
        _VISAS.kind,
        _VISAS.status,
        _VISAS.valid_from,
        _VISAS.valid_until,
    ),
)


async def authorised_among(reads: Reads, viewer_id: str, establishments: Sequence[str], today: dt.date) -> set[str]:
    """The establishments among those asked for which the viewer is an active authorised user today."""
    users = EstablishmentUserRow.__table__.c
    statement = select(users.establishment_number).where(
        users.person_id == viewer_id,
        users.establishment_number.in_(establishments),
        users.status == "active",
        users.granted_on <= today,
    )
    return {row[0] for row in await reads.fetch(statement)}


_USERS = EstablishmentUserRow.__table__.c
AUTHORISED_USER = RelationSource(
    relation=Relation.AUTHORISED_USER,
    fetch=authorised_among,
    reads=(_USERS.establishment_number, _USERS.person_id, _USERS.status, _USERS.granted_on),
)
