"""The identity registry's declared loader."""

from __future__ import annotations

from hub.contract.loading import row_by
from hub.identity.models import PersonRow
from hub.identity.records import IdentityRecord, KnownId

people = PersonRow.__table__

person_by_id = row_by(IdentityRecord, people, "id", order_by=[people.c.id])
known_id = row_by(KnownId, people, "id", order_by=[people.c.id])
