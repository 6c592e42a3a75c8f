"""The identity registry's per-request loader."""

from __future__ import annotations

from hub.contract import Reads, RowByKey
from hub.identity.models import PersonRow
from hub.identity.records import IdentityRecord

people = PersonRow.__table__


class IdentityLoaders:
    def __init__(self, reads: Reads) -> None:
        self.person_by_id: RowByKey[str, IdentityRecord] = RowByKey(
            reads, IdentityRecord, people, "id", order_by=[people.c.id]
        )
