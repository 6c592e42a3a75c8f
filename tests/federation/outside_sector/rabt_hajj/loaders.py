"""Hajj's declared loaders: one SELECT per batch, in a stated order."""

from __future__ import annotations

from hub.contract import rows_by
from rabt_hajj.models import HajjPermitRow
from rabt_hajj.types import HajjPermit

permits = HajjPermitRow.__table__

permits_by_person = rows_by(HajjPermit, permits, "person_id", order_by=[permits.c.season.desc(), permits.c.number])
